#include "services/cli/usage.h"

namespace tokengate::cli {

std::string UsageText() {
  return R"(tokengate: a command-line client of the token authority (gRPC, mutual TLS).

Usage:
  tokengate verify [--token-file PATH]       the token from stdin or PATH, never from argv
  tokengate tokens list --user NAME          NAME's live tokens (ListTokens)
  tokengate tokens list --all-users [--active]
  tokengate tokens list --user NAME --active every user's / NAME's tokens, revoked ones too
                                             unless --active (AdminListTokens)
  tokengate tokens revoke --user NAME ID     revoke NAME's token ID (RevokeToken)
  tokengate tokens events --user NAME ID     the token's audit history (ListTokenEvents)
  tokengate tokens rotate --user NAME ID [--grace 1h]
                                             refresh NAME's token ID; the old value keeps working
                                             for --grace (default 0s); prints the new content once,
                                             to stdout only (RefreshToken)
  tokengate users revoke-tokens NAME         revoke all of NAME's active tokens (RevokeUserTokens)
  tokengate service-accounts list            the enabled service accounts and their managers
  tokengate service-accounts tokens list NAME [--active]
                                             the tokens of service account NAME (AdminListTokens)
  tokengate service-accounts tokens revoke NAME
                                             revoke all its active tokens; it stays enabled
  tokengate service-accounts disable NAME    revoke all its tokens and disable it (DisableServiceAccount)
  tokengate --version | --help

Connection (flag, or environment variable):
  --authority HOST:PORT  TOKENGATE_AUTHORITY_ADDRESS  default 127.0.0.1:50051
  --tls-cert PATH        TOKENGATE_TLS_CERT_FILE      client certificate (PEM)
  --tls-key PATH         TOKENGATE_TLS_KEY_FILE       client private key (PEM)
  --tls-ca PATH          TOKENGATE_TLS_CA_FILE        CA that signed the authority's certificate
  --plaintext            TOKENGATE_PLAINTEXT          no TLS; only when asked for
  --timeout DURATION     TOKENGATE_TIMEOUT            deadline of each call: 10 (seconds), 2.5, 500ms; default 10
  --as NAME              TOKENGATE_AS                 who acts, for the audit trail; default $USER

Output:
  --json                 one JSON document on stdout (field names in docs/cli.md)
  --page N, --page-size N  listings: page (from 1) and its size (1..50, default 20)
Errors go to stderr as one line and never contain a token.

Exit codes:
  0  ok (verify: the token is valid)
  1  verify: the token is invalid, revoked or expired
  2  usage error: bad flags or arguments, a token on the command line
  3  not found (token, user or service account)
  4  permission denied or unauthenticated: mTLS refused, caller policy
  5  authority unavailable, or the deadline passed
  6  any other error
)";
}

}  // namespace tokengate::cli
