// The one rule every name that identifies a principal or a token obeys,
// wherever it enters (password login, an IdP's claims, a gRPC request): no
// control characters. A NUL is cut by C APIs (two names become one
// principal), CR/LF forge log lines, and C1 (U+0080–U+009F) holds the
// terminal's CSI. Length and the rest of the alphabet are each caller's own rules.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokengate {

// U+0000–U+001F, U+007F or U+0080–U+009F (as UTF-8: C2 80–C2 9F) anywhere in `text`.
bool HasControlCharacter(absl::string_view text);

// OK, or an INVALID_ARGUMENT naming `field` in pydantic's words for a pattern
// constraint (string_pattern_mismatch, with the pattern as its context).
absl::Status CheckNoControlCharacters(absl::string_view field, absl::string_view text);

// `text` on one line and readable: CR, LF and tab as \r \n \t, other C0
// controls and DEL as \xHH, C1 controls and U+2028/U+2029 (line breaks to some
// readers) as \uHHHH. Backslashes stay as they are, so ordinary text reads unchanged.
std::string EscapeControlCharacters(absl::string_view text);

}  // namespace tokengate
