// Serves files from one directory (e.g. npm's swagger-ui-dist) by plain file
// name: no subdirectories, no dot files, nothing outside the root. Files are
// read once and kept in memory; the set is small and never changes at run time.
#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/http/response.h"

namespace tokengate {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root_dir);

  // 200 with the file and its content type, or a JSON 404.
  HttpResponse Serve(absl::string_view file_name) const;
  // Whether `file_name` exists (for start-up checks).
  bool Has(absl::string_view file_name) const;

 private:
  std::shared_ptr<const std::string> Load(absl::string_view file_name) const;

  const std::string root_dir_;
  mutable absl::Mutex mutex_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const std::string>> cache_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tokengate
