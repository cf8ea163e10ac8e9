// What a fuzz target uses to state an invariant: a broken one prints what it
// was and aborts, which libFuzzer reports as a crash with the input saved and
// the seed replay (replay_main.cc) reports as a failed test.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tokengate::fuzz {

inline void Require(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace tokengate::fuzz
