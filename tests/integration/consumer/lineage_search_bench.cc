// Latency of ListDatasets (what GET /v1/datasets runs) on a filled lineage
// database, one caller, for a few search_query values and none. Used by
// tests/bench/consumer_bench.sh; prints one Markdown table row per query.
// Usage: lineage_search_bench DATABASE_URL ITERATIONS [SEARCH_QUERY...]
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/pg/postgres.h"
#include "services/api/lineage/lineage_queries.h"

int main(int argc, char** argv) {
  using namespace tokengate;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATABASE_URL ITERATIONS [SEARCH_QUERY...]\n", argv[0]);
    return 2;
  }
  PgPool pool(argv[1], 1);
  const int iterations = std::atoi(argv[2]);
  std::vector<std::string> searches = {""};  // "" lists without a search.
  for (int i = 3; i < argc; ++i) searches.emplace_back(argv[i]);

  simdjson::dom::parser parser;
  for (const std::string& search : searches) {
    DatasetQuery query;
    if (!search.empty()) query.search_query = search;
    std::vector<double> ms;
    int64_t total = -1;
    for (int i = 0; i < iterations + 5; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto body = ListDatasets(pool, query);
      const auto end = std::chrono::steady_clock::now();
      if (!body.ok()) {
        std::fprintf(stderr, "%s\n", std::string(body.status().message()).c_str());
        return 1;
      }
      if (i < 5) {  // Warm-up; also read the match count once.
        if (i == 0 && parser.parse(*body).at_pointer("/meta/total_count").get(total) != simdjson::SUCCESS) {
          total = -1;
        }
        continue;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
    std::printf("| %s | %lld | %.2f | %.2f | %.2f |\n",
                search.empty() ? "(none)" : ("`" + search + "`").c_str(), static_cast<long long>(total),
                at(0.5), at(0.95), at(0.99));
  }
  return 0;
}
