// Built into every binary of a sanitizer build (-DTOKENGATE_SANITIZE=…): the
// runtime options that make a finding stop the process that hit it, so the
// test that started it fails instead of passing with a report in a log. It
// must not weaken anything: ASAN_OPTIONS / UBSAN_OPTIONS still apply on top.

extern "C" {

// UBSan's own default is to print and carry on (exit code 0).
const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

// ASan already stops at its first error; said here so no one has to look it up.
// detect_leaks: LeakSanitizer checks at a normal exit (also the runtime's default on Linux).
const char* __asan_default_options() { return "halt_on_error=1:detect_leaks=1"; }

}  // extern "C"
