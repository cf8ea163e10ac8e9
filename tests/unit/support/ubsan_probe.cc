// One signed overflow, built only in a sanitizer build, for
// sanitizer_options_test.cc: it must not get past the overflow. Not a tool.
#include <climits>
#include <cstdio>

int main(int argc, char**) {
  int value = INT_MAX;
  value += argc;  // argc ≥ 1: overflows
  std::printf("carried on with %d\n", value);
  return 0;
}
