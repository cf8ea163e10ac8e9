#include "services/cli/service_accounts_commands.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/json_writer.h"
#include "services/cli/output.h"

namespace tokengate::cli {

using Stub = v1::TokenAuthority::Stub;

absl::StatusOr<ExitCode> RunServiceAccountsList(const CliConfig& config, AuthorityClient& client,
                                                std::ostream& out) {
  v1::ListServiceAccountsRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_page(config.page);
  request.set_page_size(config.page_size);
  v1::ListServiceAccountsResponse response;
  if (absl::Status status = client.Call(&Stub::ListServiceAccounts, request, &response); !status.ok()) {
    return status;
  }
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Key("service_accounts");
    json.BeginArray();
    for (const auto& account : response.service_accounts()) {
      json.BeginObject();
      json.Field("name", account.name());
      json.Field("owner_name", account.owner_name());
      json.Field("description", account.description());
      json.Field("email", account.email());
      json.Field("webhook_url", account.webhook_url());
      StringArray(json, "managers", account.managers());
      json.Field("created_at", FormatUnix(account.created_at_unix()));
      json.EndObject();
    }
    json.EndArray();
    json.Field("total_count", response.total_count());
    json.Field("page", config.page);
    json.Field("page_size", config.page_size);
    json.EndObject();
    out << json.Take() << "\n";
    return kExitOk;
  }
  Table table({"NAME", "OWNER", "MANAGERS", "CONTACT", "DESCRIPTION"});
  for (const auto& account : response.service_accounts()) {
    std::vector<std::string> contact;
    for (const std::string* value : {&account.email(), &account.webhook_url()}) {
      if (!value->empty()) contact.push_back(*value);
    }
    table.AddRow({account.name(), account.owner_name(),
                  account.managers().empty() ? "-" : absl::StrJoin(account.managers(), ","),
                  contact.empty() ? "-" : absl::StrJoin(contact, " "), account.description()});
  }
  out << table.Render()
      << absl::StrCat(response.service_accounts_size(), " of ", response.total_count(),
                      " service accounts (page ", config.page, ")\n");
  return kExitOk;
}

absl::StatusOr<ExitCode> RunServiceAccountsDisable(const CliConfig& config, AuthorityClient& client,
                                                   std::ostream& out) {
  v1::DisableServiceAccountRequest request;
  *request.mutable_actor() = client.Actor();
  request.set_name(config.service_account);
  v1::DisableServiceAccountResponse response;
  if (absl::Status status = client.Call(&Stub::DisableServiceAccount, request, &response); !status.ok()) {
    return status;
  }
  if (config.json) {
    JsonWriter json;
    json.BeginObject();
    json.Field("service_account", config.service_account);
    json.Field("revoked_count", response.revoked_count());
    StringArray(json, "token_ids", response.token_ids());
    json.EndObject();
    out << json.Take() << "\n";
    return kExitOk;
  }
  out << "disabled service account " << config.service_account << ", revoked " << response.revoked_count()
      << " token" << (response.revoked_count() == 1 ? "" : "s") << "\n";
  for (const auto& id : response.token_ids()) out << id << "\n";
  return kExitOk;
}

}  // namespace tokengate::cli
