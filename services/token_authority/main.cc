// token-authority: flags/env → config → AuthorityServer (authority_server.h)
// → serve gRPC until SIGTERM, which drains in-flight RPCs, ends watch streams,
// flushes last use and exits 0.
// `token-authority migrate` applies the SQL migrations and exits;
// `token-authority import-data-rentgen --from <libpq URL>` also copies a
// Data.Rentgen database's users and tokens (import/data_rentgen_import.h).
#include <iostream>

#include "absl/flags/flag.h"
#include "common/base/log.h"
#include "common/base/status_macros.h"
#include "common/config/config.h"
#include "common/config/program.h"
#include "common/pg/postgres.h"
#include "services/token_authority/authority_config.h"
#include "services/token_authority/authority_server.h"
#include "services/token_authority/import/data_rentgen_import.h"

// An argument of one command, not a setting: no TOKENGATE_ variable.
ABSL_FLAG(std::string, from, "", "import-data-rentgen: libpq URI of the Data.Rentgen database to copy");

namespace tokengate {
namespace {

absl::Status ImportDataRentgen(const std::string& database_url, const std::string& source_url) {
  if (source_url.empty()) {
    return absl::InvalidArgumentError(
        "import-data-rentgen needs --from <libpq URL of the Data.Rentgen database>");
  }
  TG_RETURN_IF_ERROR(MigrateDatabase(database_url));
  TG_ASSIGN_OR_RETURN(auto source, PgConnection::Connect(source_url));
  TG_ASSIGN_OR_RETURN(auto target, PgConnection::Connect(database_url));
  TG_LOG(Info) << "importing from Data.Rentgen at " << MaskedValue("from", source_url);
  TG_ASSIGN_OR_RETURN(auto counts, ImportFromDataRentgen(*source, *target));
  std::cout << "imported from Data.Rentgen: " << FormatCounts(counts) << std::endl;
  return absl::OkStatus();
}

int Serve(const AuthorityConfig& config) {
  auto server = AuthorityServer::Create(config);
  if (!server.ok()) {
    if (absl::IsInvalidArgument(server.status())) ExitOnBadConfig(server.status().message());
    TG_LOG(Error) << server.status().message();
    return 1;
  }
  return (*server)->Run();
}

}  // namespace
}  // namespace tokengate

int main(int argc, char** argv) {
  using namespace tokengate;
  auto [command, config] = StartProgram({.name = "token-authority",
                                         .flag_names = AuthorityFlagNames(),
                                         .commands = {"migrate", "import-data-rentgen"}},
                                        argc, argv, AuthorityConfigFromFlags);
  if (command == "migrate") {
    auto status = MigrateDatabase(config.database_url);
    if (!status.ok()) TG_LOG(Error) << status.message();
    return status.ok() ? 0 : 1;
  }
  if (command == "import-data-rentgen") {
    auto status = ImportDataRentgen(config.database_url, absl::GetFlag(FLAGS_from));
    if (!status.ok()) TG_LOG(Error) << "import-data-rentgen: " << status.message();
    return status.ok() ? 0 : 1;
  }
  return Serve(config);
}
