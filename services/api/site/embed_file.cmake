# Writes OUTPUT: a .cc defining `std::string_view ${FUNCTION}()` that returns
# the bytes of INPUT (a text file without the raw-string delimiter inside).
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp" "#include <string_view>\n\nnamespace tokengate {\n\nstd::string_view ${FUNCTION}() {\n  static constexpr std::string_view kContent = R\"tg_embed(${content})tg_embed\";\n  return kContent;\n}\n\n}  // namespace tokengate\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
