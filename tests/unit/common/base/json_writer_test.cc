#include "common/base/json_writer.h"

#include <gtest/gtest.h>

namespace tokengate {
namespace {

TEST(JsonWriterTest, SeparatesMembersAndNestsContainers) {
  JsonWriter json;
  json.BeginObject();
  json.Field("a", 1);
  json.Key("b");
  json.BeginArray();
  json.String("x");
  json.Bool(true);
  json.Null();
  json.EndArray();
  json.Field("c", "d");
  json.EndObject();
  EXPECT_EQ(json.str(), R"({"a":1,"b":["x",true,null],"c":"d"})");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

}  // namespace
}  // namespace tokengate
