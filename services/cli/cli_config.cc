#include "services/cli/cli_config.h"

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "common/config/config.h"

namespace tokengate::cli {
namespace {

constexpr absl::Duration kMaxTimeout = absl::Minutes(10);

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }

bool IsBase64UrlPart(absl::string_view part) {
  return !part.empty() && absl::c_all_of(part, [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=';
  });
}

// Flags that apply to one command only; the rest apply to every command.
struct FlagSpec {
  absl::string_view name;
  bool takes_value;
  std::vector<Command> only_for;
};

const std::vector<FlagSpec>& Flags() {
  static const auto* const flags = new std::vector<FlagSpec>{
      {"authority", true, {}},
      {"tls-cert", true, {}},
      {"tls-key", true, {}},
      {"tls-ca", true, {}},
      {"plaintext", false, {}},
      {"timeout", true, {}},
      {"as", true, {}},
      {"json", false, {}},
      {"help", false, {}},
      {"version", false, {}},
      {"token-file", true, {Command::kVerify}},
      {"user",
       true,
       {Command::kTokensList, Command::kTokensRevoke, Command::kTokensEvents, Command::kTokensRotate}},
      {"grace", true, {Command::kTokensRotate}},
      {"all-users", false, {Command::kTokensList}},
      {"active", false, {Command::kTokensList, Command::kServiceAccountsTokensList}},
      {"page",
       true,
       {Command::kTokensList, Command::kTokensEvents, Command::kServiceAccountsList,
        Command::kServiceAccountsTokensList}},
      {"page-size",
       true,
       {Command::kTokensList, Command::kTokensEvents, Command::kServiceAccountsList,
        Command::kServiceAccountsTokensList}},
  };
  return *flags;
}

const FlagSpec* FindFlag(absl::string_view name) {
  for (const FlagSpec& flag : Flags()) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// "10" and "2.5" are seconds; "500ms", "1m" are absl durations.
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view source, absl::string_view text) {
  absl::Duration timeout;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds)) {
    if (!std::isfinite(seconds)) return Usage(absl::StrCat(source, ": must be a finite duration"));
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &timeout)) {
    return Usage(absl::StrCat(source, ": '", text, "' is not a duration (e.g. 10, 2.5, 500ms)"));
  }
  if (timeout <= absl::ZeroDuration() || timeout > kMaxTimeout) {
    return Usage(absl::StrCat(source, ": must be more than 0 and at most 10 minutes"));
  }
  return timeout;
}

absl::StatusOr<bool> ParseBool(absl::string_view source, absl::string_view text) {
  bool value = false;
  if (!absl::SimpleAtob(text, &value)) {
    return Usage(absl::StrCat(source, ": '", text, "' is not true or false"));
  }
  return value;
}

absl::StatusOr<int> ParseInt(absl::string_view source, absl::string_view text, int min, int max) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
    return Usage(absl::StrCat(source, ": must be a whole number within ", min, "..", max));
  }
  return value;
}

// The connection settings every binary shares come from the environment first.
absl::Status ApplyEnvironment(const EnvLookup& env, CliConfig& config) {
  auto set = [&](const char* name, std::string& field) {
    if (auto value = env(name); value.has_value()) field = *value;
  };
  set("TOKENGATE_AUTHORITY_ADDRESS", config.authority);
  set("TOKENGATE_TLS_CERT_FILE", config.tls_cert_file);
  set("TOKENGATE_TLS_KEY_FILE", config.tls_key_file);
  set("TOKENGATE_TLS_CA_FILE", config.tls_ca_file);
  set("USER", config.actor_name);
  set("TOKENGATE_AS", config.actor_name);
  if (auto value = env("TOKENGATE_PLAINTEXT"); value.has_value()) {
    TG_ASSIGN_OR_RETURN(bool plaintext, ParseBool("TOKENGATE_PLAINTEXT", *value));
    config.plaintext = plaintext;
  }
  if (auto value = env("TOKENGATE_TIMEOUT"); value.has_value()) {
    TG_ASSIGN_OR_RETURN(absl::Duration timeout, ParseTimeout("TOKENGATE_TIMEOUT", *value));
    config.timeout = timeout;
  }
  return absl::OkStatus();
}

absl::Status ApplyFlag(absl::string_view name, absl::string_view value, CliConfig& config) {
  const std::string source = absl::StrCat("--", name);
  if (name == "authority") config.authority = std::string(value);
  if (name == "tls-cert") config.tls_cert_file = std::string(value);
  if (name == "tls-key") config.tls_key_file = std::string(value);
  if (name == "tls-ca") config.tls_ca_file = std::string(value);
  if (name == "plaintext") config.plaintext = true;
  if (name == "as") config.actor_name = std::string(value);
  if (name == "json") config.json = true;
  if (name == "token-file") config.token_file = std::string(value);
  if (name == "user") config.user = std::string(value);
  if (name == "all-users") config.all_users = true;
  if (name == "active") config.active_only = true;
  if (name == "timeout") {
    TG_ASSIGN_OR_RETURN(absl::Duration timeout, ParseTimeout(source, value));
    config.timeout = timeout;
  }
  if (name == "grace") {
    absl::Duration grace;
    if (!absl::ParseDuration(value, &grace) || grace < absl::ZeroDuration() || grace > absl::Hours(24 * 7)) {
      return Usage(absl::StrCat(source, ": '", value, "' is not a duration of 0s..168h (e.g. 1h, 30m)"));
    }
    config.grace = grace;
  }
  if (name == "page" || name == "page-size") {
    absl::StatusOr<int> number =
        name == "page" ? ParseInt(source, value, 1, 1000000) : ParseInt(source, value, 1, 50);
    if (!number.ok()) return number.status();
    (name == "page" ? config.page : config.page_size) = *number;
  }
  return absl::OkStatus();
}

absl::StatusOr<Command> CommandOf(std::vector<std::string>& words) {
  if (words.empty()) return Usage("no command given");
  const std::string first = words[0];
  words.erase(words.begin());
  if (first == "help") return Command::kHelp;
  if (first == "version") return Command::kVersion;
  if (first == "verify") return Command::kVerify;
  if (first != "tokens" && first != "users" && first != "service-accounts") {
    return Usage(
        absl::StrCat("unknown command '", first, "' (known: verify, tokens, users, service-accounts)"));
  }
  const std::string second = words.empty() ? "" : words[0];
  if (!words.empty()) words.erase(words.begin());
  if (first == "service-accounts") {
    if (second == "list") return Command::kServiceAccountsList;
    if (second == "disable") return Command::kServiceAccountsDisable;
    const std::string third = second == "tokens" && !words.empty() ? words[0] : "";
    if (!third.empty()) words.erase(words.begin());
    if (third == "list") return Command::kServiceAccountsTokensList;
    if (third == "revoke") return Command::kServiceAccountsTokensRevoke;
    return Usage(absl::StrCat("unknown sub-command 'service-accounts ", second, second == "tokens" ? " " : "",
                              third, "' (known: list, tokens list, tokens revoke, disable)"));
  }
  if (first == "tokens") {
    if (second == "list") return Command::kTokensList;
    if (second == "revoke") return Command::kTokensRevoke;
    if (second == "events") return Command::kTokensEvents;
    if (second == "rotate") return Command::kTokensRotate;
    return Usage(second.empty() ? "tokens needs a sub-command: list, revoke, events or rotate"
                                : absl::StrCat("unknown sub-command 'tokens ", second,
                                               "' (known: list, revoke, events, rotate)"));
  }
  if (second == "revoke-tokens") return Command::kUsersRevokeTokens;
  return Usage(second.empty()
                   ? "users needs a sub-command: revoke-tokens"
                   : absl::StrCat("unknown sub-command 'users ", second, "' (known: revoke-tokens)"));
}

absl::Status CheckArgumentCount(absl::string_view command, const std::vector<std::string>& words,
                                size_t expected, absl::string_view what) {
  if (words.size() < expected) return Usage(absl::StrCat(command, " needs ", what));
  if (words.size() > expected) {
    return Usage(absl::StrCat("unexpected argument '", words[expected], "' after ", command));
  }
  return absl::OkStatus();
}

absl::Status CheckConnection(const CliConfig& config) {
  if (absl::Status address = CheckAuthorityAddress(config.authority); !address.ok()) {
    return Usage(absl::StrCat("--authority: ", address.message()));
  }
  const bool any_tls =
      !config.tls_cert_file.empty() || !config.tls_key_file.empty() || !config.tls_ca_file.empty();
  if (config.plaintext) {
    if (any_tls) return Usage("--plaintext and TLS files (--tls-cert/--tls-key/--tls-ca) exclude each other");
    return absl::OkStatus();
  }
  std::vector<std::string> missing;
  if (config.tls_cert_file.empty()) missing.push_back("--tls-cert");
  if (config.tls_key_file.empty()) missing.push_back("--tls-key");
  if (config.tls_ca_file.empty()) missing.push_back("--tls-ca");
  if (!missing.empty()) {
    return Usage(absl::StrCat("mutual TLS needs ", absl::StrJoin(missing, ", "),
                              " (or TOKENGATE_TLS_CERT_FILE/_KEY_FILE/_CA_FILE); "
                              "--plaintext only for a plaintext authority"));
  }
  return absl::OkStatus();
}

absl::Status CheckCommand(CliConfig& config, std::vector<std::string>& words) {
  switch (config.command) {
    case Command::kHelp:
    case Command::kVersion: return CheckArgumentCount("this command", words, 0, "");
    case Command::kVerify: return CheckArgumentCount("verify", words, 0, "");
    case Command::kTokensList:
      TG_RETURN_IF_ERROR(CheckArgumentCount("tokens list", words, 0, ""));
      if (config.all_users && !config.user.empty()) {
        return Usage("tokens list: --user and --all-users exclude each other");
      }
      if (!config.all_users && config.user.empty()) {
        return Usage("tokens list needs --user NAME or --all-users");
      }
      return absl::OkStatus();
    case Command::kTokensRevoke:
    case Command::kTokensEvents:
    case Command::kTokensRotate: {
      const absl::string_view name = config.command == Command::kTokensRevoke   ? "tokens revoke"
                                     : config.command == Command::kTokensEvents ? "tokens events"
                                                                                : "tokens rotate";
      TG_RETURN_IF_ERROR(CheckArgumentCount(name, words, 1, "a token ID"));
      if (config.user.empty()) return Usage(absl::StrCat(name, " needs --user NAME (the token's owner)"));
      std::optional<std::string> id = CanonicalUuid(words[0]);
      if (!id.has_value()) return Usage(absl::StrCat(name, ": '", words[0], "' is not a token ID (a UUID)"));
      config.token_id = *id;
      return absl::OkStatus();
    }
    case Command::kUsersRevokeTokens:
      if (auto count = CheckArgumentCount("users revoke-tokens", words, 1, "a user NAME"); !count.ok()) {
        return count;
      }
      config.user = words[0];
      return absl::OkStatus();
    case Command::kServiceAccountsList: return CheckArgumentCount("service-accounts list", words, 0, "");
    case Command::kServiceAccountsTokensList:
    case Command::kServiceAccountsTokensRevoke:
    case Command::kServiceAccountsDisable:
      TG_RETURN_IF_ERROR(
          CheckArgumentCount("this service-accounts command", words, 1, "a service account NAME"));
      config.service_account = words[0];
      config.user = absl::StrCat("sa:", words[0]);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

bool LooksLikeToken(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (absl::StrContains(lower, "personal_token_eyj")) return true;
  // With the prefix, any three dot-separated parts; without it, a JWS header
  // ("eyJ"). A file name such as personal_token_ci.txt is neither.
  const bool prefixed = absl::StartsWith(lower, "personal_token_");
  if (prefixed) text.remove_prefix(std::string_view("personal_token_").size());
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  return parts.size() == 3 && (prefixed || absl::StartsWith(parts[0], "eyJ")) &&
         absl::c_all_of(parts, IsBase64UrlPart);
}

absl::StatusOr<CliConfig> ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env) {
  // Before anything that could repeat an argument in a message.
  for (const std::string& arg : args) {
    const size_t equals = arg.find('=');
    if (LooksLikeToken(arg) || (equals != std::string::npos && LooksLikeToken(arg.substr(equals + 1)))) {
      return Usage(
          "refusing a token on the command line (ps and shell history show it): "
          "pipe it on stdin or use --token-file PATH");
    }
  }
  CliConfig config;
  TG_RETURN_IF_ERROR(ApplyEnvironment(env, config));

  std::vector<std::string> words;
  std::vector<const FlagSpec*> given;
  bool only_words = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_words || arg == "-" || !absl::StartsWith(arg, "-")) {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_words = true;
      continue;
    }
    if (arg == "-h") {
      given.push_back(FindFlag("help"));
      continue;
    }
    if (!absl::StartsWith(arg, "--")) return Usage(absl::StrCat("unknown flag '", arg, "'"));
    const std::pair<std::string, std::string> split = absl::StrSplit(arg.substr(2), absl::MaxSplits('=', 1));
    const bool has_value = arg.find('=') != std::string::npos;
    const FlagSpec* flag = FindFlag(split.first);
    if (flag == nullptr) return Usage(absl::StrCat("unknown flag --", split.first));
    std::string value = split.second;
    if (flag->takes_value && !has_value) {
      if (i + 1 >= args.size()) return Usage(absl::StrCat("--", flag->name, " needs a value"));
      value = args[++i];
    } else if (!flag->takes_value && has_value) {
      return Usage(absl::StrCat("--", flag->name, " takes no value"));
    }
    TG_RETURN_IF_ERROR(ApplyFlag(flag->name, value, config));
    given.push_back(flag);
  }

  auto was_given = [&](absl::string_view name) {
    return absl::c_any_of(given, [&](const FlagSpec* flag) { return flag->name == name; });
  };
  // --help and --version answer whatever else the line holds.
  if (was_given("help")) {
    config.command = Command::kHelp;
    return config;
  }
  if (was_given("version")) {
    config.command = Command::kVersion;
    return config;
  }
  absl::StatusOr<Command> command = CommandOf(words);
  if (!command.ok()) return command.status();
  config.command = *command;
  for (const FlagSpec* flag : given) {
    if (!flag->only_for.empty() && !absl::c_linear_search(flag->only_for, config.command)) {
      return Usage(absl::StrCat("--", flag->name, " does not apply to this command"));
    }
  }
  TG_RETURN_IF_ERROR(CheckCommand(config, words));
  if (config.command == Command::kHelp || config.command == Command::kVersion) return config;
  TG_RETURN_IF_ERROR(CheckConnection(config));
  return config;
}

}  // namespace tokengate::cli
