#include "common/config/config.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/files.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

bool IsSecretName(absl::string_view name) {
  return absl::StrContains(name, "secret") || absl::StrContains(name, "signing_keys") ||
         absl::StrContains(name, "password");
}

void ApplyValue(absl::string_view flag_name, absl::string_view source, absl::string_view value) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(flag_name);
  std::string error;
  if (flag == nullptr || !flag->ParseFrom(value, &error)) {
    ExitOnBadConfig(absl::StrCat(source, ": ", error.empty() ? "unknown setting" : error));
  }
}

}  // namespace

std::string EnvNameOf(absl::string_view flag_name) {
  return absl::StrCat("TOKENGATE_", absl::AsciiStrToUpper(flag_name));
}

void ExitOnBadConfig(absl::string_view message) {
  std::fprintf(stderr, "invalid configuration: %.*s\n", static_cast<int>(message.size()), message.data());
  std::exit(2);
}

std::vector<std::string> LoadFlags(int argc, char** argv, const std::vector<std::string>& flag_names) {
  for (const auto& name : flag_names) {
    const std::string env = EnvNameOf(name);
    const std::string file_env = env + "_FILE";
    if (const char* path = std::getenv(file_env.c_str()); path != nullptr && *path != '\0') {
      auto content = ReadWholeFile(path);
      if (!content.ok()) ExitOnBadConfig(absl::StrCat(file_env, ": ", content.status().message()));
      ApplyValue(name, file_env, absl::StripTrailingAsciiWhitespace(*content));
    } else if (const char* value = std::getenv(env.c_str()); value != nullptr) {
      ApplyValue(name, env, value);
    }
  }
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  return std::vector<std::string>(rest.begin() + 1, rest.end());
}

std::string MaskedValue(absl::string_view flag_name, absl::string_view value) {
  if (IsSecretName(flag_name)) return value.empty() ? "<empty>" : "<set>";
  // libpq URI: postgresql://user:password@host/db → hide the password.
  const size_t scheme = value.find("://");
  const size_t at = value.find('@');
  if (scheme != absl::string_view::npos && at != absl::string_view::npos && at > scheme) {
    const size_t colon = value.find(':', scheme + 3);
    if (colon != absl::string_view::npos && colon < at) {
      return absl::StrCat(value.substr(0, colon + 1), "***", value.substr(at));
    }
  }
  return std::string(value);
}

void LogEffectiveConfig(const std::vector<std::string>& flag_names) {
  for (const auto& name : flag_names) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    TG_LOG(Info) << "config " << EnvNameOf(name) << "=" << MaskedValue(name, flag->CurrentValue());
  }
}

absl::Status BadFlag(absl::string_view flag_name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(EnvNameOf(flag_name), ": ", why));
}

absl::Status CheckTlsFiles(absl::string_view cert, absl::string_view key, absl::string_view ca) {
  const int set = !cert.empty() + !key.empty() + !ca.empty();
  if (set != 0 && set != 3) {
    return BadFlag("tls_cert_file", "TLS needs the certificate, key and CA files together");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 || !absl::SimpleAtoi(text.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not host:port"));
  }
  return std::make_pair(std::string(text.substr(0, colon)), port);
}

absl::Status CheckAuthorityAddress(absl::string_view text) {
  absl::string_view addresses = text;
  if (!absl::ConsumePrefix(&addresses, "ipv4:")) absl::ConsumePrefix(&addresses, "dns:///");
  for (absl::string_view address : absl::StrSplit(addresses, ',')) {
    auto host_port = ParseHostPort(address);
    if (!host_port.ok() || host_port->second == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not host:port, ipv4:host:port,host:port… or dns:///host:port"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRanges(const FlagList& flags) {
  for (const ConfigFlag& flag : flags) {
    if (flag.bounded == nullptr) continue;
    const int value = absl::GetFlag(*flag.bounded);
    if (value < flag.min || value > flag.max) {
      return BadFlag(flag.name,
                     absl::StrCat("must be within ", flag.min, "..", flag.max, flag.note.empty() ? "" : " (",
                                  flag.note, flag.note.empty() ? "" : ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FlagNames(std::initializer_list<const FlagList*> lists) {
  std::vector<std::string> names;
  for (const FlagList* list : lists) {
    for (const ConfigFlag& flag : *list) names.emplace_back(flag.name);
  }
  return names;
}

}  // namespace tokengate
