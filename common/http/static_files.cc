#include "common/http/static_files.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http/error_body.h"

namespace tokengate {
namespace {

bool SafeName(absl::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

std::string ContentTypeOf(absl::string_view file_name) {
  const struct {
    const char* suffix;
    const char* type;
  } kTypes[] = {
      {".js", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& t : kTypes) {
    if (absl::EndsWith(file_name, t.suffix)) return t.type;
  }
  return "application/octet-stream";
}

}  // namespace

StaticFiles::StaticFiles(std::string root_dir) : root_dir_(std::move(root_dir)) {}

std::shared_ptr<const std::string> StaticFiles::Load(absl::string_view file_name) const {
  if (!SafeName(file_name)) return nullptr;
  const std::string key(file_name);
  {
    absl::MutexLock lock(&mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  const std::string path = absl::StrCat(root_dir_, "/", file_name);
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream content;
  content << in.rdbuf();
  auto file = std::make_shared<const std::string>(content.str());
  absl::MutexLock lock(&mutex_);
  cache_.emplace(key, file);
  return file;
}

bool StaticFiles::Has(absl::string_view file_name) const { return Load(file_name) != nullptr; }

HttpResponse StaticFiles::Serve(absl::string_view file_name) const {
  auto file = Load(file_name);
  if (file == nullptr) return NotFound("Not found", std::string(file_name));
  return HttpResponse::Text(200, ContentTypeOf(file_name), *file)
      .WithHeader("Cache-Control", "public, max-age=86400");
}

}  // namespace tokengate
