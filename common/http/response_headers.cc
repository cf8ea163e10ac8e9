#include "common/http/response_headers.h"

#include "absl/strings/match.h"
#include "common/log.h"

namespace tokengate {
namespace {

bool SafeHeaderText(absl::string_view text) {
  return !absl::StrContains(text, '\r') && !absl::StrContains(text, '\n');
}

void Add(Pistache::Http::ResponseWriter& writer, const std::string& name, const std::string& value) {
  if (!SafeHeaderText(name) || !SafeHeaderText(value)) {
    TG_LOG(Warning) << "dropped response header '" << name << "' with a line break";
    return;
  }
  writer.headers().add(std::make_shared<OutgoingHeader>(name, value));
}

}  // namespace

OutgoingHeader::OutgoingHeader(std::string name, std::string value)
    : name_(std::move(name)), value_(std::move(value)),
      hash_(Pistache::Http::Header::detail::hash(name_.c_str())) {}

Pistache::Async::Promise<ssize_t> WriteResponse(const HttpResponse& response,
                                                const std::string& request_id,
                                                Pistache::Http::ResponseWriter& writer) {
  if (!response.content_type.empty()) Add(writer, "Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) Add(writer, name, value);
  if (!request_id.empty()) Add(writer, "X-Request-ID", request_id);
  return writer.send(static_cast<Pistache::Http::Code>(response.status), response.body);
}

}  // namespace tokengate
