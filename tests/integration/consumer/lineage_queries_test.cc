// The lineage read queries (services/api/lineage) against real PostgreSQL
// with the real migrations: Data.Rentgen's shapes, paging edges, search
// semantics (case, Unicode, literal '%' and '_'), filters, and parameter
// validation.
#include "services/api/lineage/lineage_queries.h"

#include <simdjson.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/base/field_error.h"
#include "common/pg/migrations.h"
#include "common/pg/postgres.h"
#include "services/api/lineage/lineage_params.h"
#include "services/api/lineage/lineage_sql.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace tokengate::testing {
namespace {

using ::tokengate::testing::IsOk;
using ::tokengate::testing::StatusIs;

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// Reads values out of a response by JSON pointer.
class Json {
 public:
  explicit Json(const absl::StatusOr<std::string>& text) {
    EXPECT_THAT(text, IsOk());
    text_ = text.ok() ? *text : "{}";
    EXPECT_EQ(parser_.parse(text_).get(root_), simdjson::SUCCESS) << text_;
  }
  int64_t Int(const char* pointer) {
    int64_t value = -999;
    EXPECT_EQ(root_.at_pointer(pointer).get(value), simdjson::SUCCESS) << pointer << " in " << text_;
    return value;
  }
  bool Bool(const char* pointer) {
    bool value = false;
    EXPECT_EQ(root_.at_pointer(pointer).get(value), simdjson::SUCCESS) << pointer << " in " << text_;
    return value;
  }
  std::string Str(const std::string& pointer) {
    std::string_view value;
    EXPECT_EQ(root_.at_pointer(pointer).get(value), simdjson::SUCCESS) << pointer << " in " << text_;
    return std::string(value);
  }
  bool IsNull(const char* pointer) {
    simdjson::dom::element value;
    return root_.at_pointer(pointer).get(value) == simdjson::SUCCESS && value.is_null();
  }
  // The `field` of every item's data ("/data/name" …), in order.
  std::vector<std::string> Items(const std::string& field) {
    std::vector<std::string> values;
    simdjson::dom::array items;
    EXPECT_EQ(root_.at_pointer("/items").get(items), simdjson::SUCCESS) << text_;
    for (size_t i = 0; i < items.size(); ++i) values.push_back(Str(absl::StrCat("/items/", i, field)));
    return values;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

class LineageQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = PgConnection::Connect(db_.url());
    ASSERT_THAT(conn, IsOk());
    conn_ = *std::move(conn);
    ASSERT_THAT(ApplyMigrations(*conn_, EmbeddedMigrations()), IsOk());
  }

  void Exec(const std::string& sql) {
    auto result = conn_->ExecScript(sql);
    ASSERT_THAT(result, IsOk()) << result << "\n" << sql;
  }
  std::string Query(const std::string& sql) { return db_.Query(sql); }

  // A location with its addresses; returns its id.
  std::string AddLocation(const std::string& type, const std::string& name,
                          const std::vector<std::string>& addresses) {
    const std::string id = Query(
        absl::StrCat("INSERT INTO location (type, name) VALUES ('", type, "', '", name, "') RETURNING id"));
    for (const auto& url : addresses) {
      Exec(absl::StrCat("INSERT INTO address (location_id, url) VALUES (", id, ", '", url, "')"));
    }
    return id;
  }
  std::string AddDataset(const std::string& location_id, const std::string& name) {
    return Query(absl::StrCat("INSERT INTO dataset (location_id, name) VALUES (", location_id, ", $$", name,
                              "$$) RETURNING id"));
  }
  std::string AddJob(const std::string& location_id, const std::string& name, const std::string& type) {
    return Query(absl::StrCat("INSERT INTO job (location_id, name, type) VALUES (", location_id, ", '", name,
                              "', '", type, "') RETURNING id"));
  }

  std::vector<std::string> SearchDatasets(const std::string& search) {
    DatasetQuery query;
    query.search_query = search;
    query.page.page_size = 50;
    return Json(ListDatasets(pool_, query)).Items("/data/name");
  }

  TestDatabase db_;
  std::unique_ptr<PgConnection> conn_;
  PgPool pool_{db_.url(), 2};
};

TEST_F(LineageQueriesTest, DatasetItemsHaveDataRentgensShape) {
  const std::string location = AddLocation("postgres", "db:5432", {"postgres://db:5432"});
  const std::string dataset = AddDataset(location, "analytics.public.out");

  Json json(ListDatasets(pool_, DatasetQuery{}));
  EXPECT_EQ(json.Str("/items/0/id"), dataset);
  EXPECT_EQ(json.Str("/items/0/data/id"), dataset);
  EXPECT_EQ(json.Str("/items/0/data/name"), "analytics.public.out");
  EXPECT_EQ(json.Str("/items/0/data/location/id"), location);
  EXPECT_EQ(json.Str("/items/0/data/location/type"), "postgres");
  EXPECT_EQ(json.Str("/items/0/data/location/name"), "db:5432");
  EXPECT_EQ(json.Str("/items/0/data/location/addresses/0/url"), "postgres://db:5432");
  EXPECT_TRUE(json.IsNull("/items/0/data/location/external_id"));
  EXPECT_TRUE(json.IsNull("/items/0/data/schema"));
  EXPECT_EQ(json.Int("/meta/page"), 1);
  EXPECT_EQ(json.Int("/meta/page_size"), 20);
  EXPECT_EQ(json.Int("/meta/total_count"), 1);
  EXPECT_EQ(json.Int("/meta/pages_count"), 1);
  EXPECT_FALSE(json.Bool("/meta/has_next"));
  EXPECT_FALSE(json.Bool("/meta/has_previous"));
  EXPECT_TRUE(json.IsNull("/meta/next_page"));
  EXPECT_TRUE(json.IsNull("/meta/previous_page"));
}

TEST_F(LineageQueriesTest, PageBeyondTheEndIsEmptyAndStillCountsEverything) {
  const std::string location = AddLocation("hdfs", "nn:8020", {"hdfs://nn:8020"});
  for (const char* name : {"a", "b", "c"}) AddDataset(location, name);
  DatasetQuery query;
  query.page = {.page = 5, .page_size = 2};

  Json json(ListDatasets(pool_, query));
  EXPECT_TRUE(json.Items("/data/name").empty());
  EXPECT_EQ(json.Int("/meta/total_count"), 3);
  EXPECT_EQ(json.Int("/meta/pages_count"), 2);
  EXPECT_FALSE(json.Bool("/meta/has_next"));
  EXPECT_TRUE(json.Bool("/meta/has_previous"));
  EXPECT_TRUE(json.IsNull("/meta/next_page"));
  EXPECT_EQ(json.Int("/meta/previous_page"), 4);
}

TEST_F(LineageQueriesTest, PageSizeFiftyReturnsFiftyInNameOrderAndPointsOn) {
  const std::string location = AddLocation("hdfs", "nn:8020", {"hdfs://nn:8020"});
  Exec(absl::StrCat("INSERT INTO dataset (location_id, name) SELECT ", location,
                    ", 'table_' || lpad(g::text, 3, '0') FROM generate_series(1, 120) g"));
  DatasetQuery query;
  query.page = {.page = 1, .page_size = 50};
  Json first(ListDatasets(pool_, query));
  const auto names = first.Items("/data/name");
  ASSERT_EQ(names.size(), 50u);
  EXPECT_EQ(names.front(), "table_001");
  EXPECT_EQ(names.back(), "table_050");
  EXPECT_EQ(first.Int("/meta/pages_count"), 3);
  EXPECT_TRUE(first.Bool("/meta/has_next"));
  EXPECT_EQ(first.Int("/meta/next_page"), 2);

  query.page.page = 3;
  Json last(ListDatasets(pool_, query));
  EXPECT_EQ(last.Items("/data/name").size(), 20u);
  EXPECT_FALSE(last.Bool("/meta/has_next"));
}

TEST_F(LineageQueriesTest, PageSizeAboveFiftyAndPageZeroAreRejectedNamingTheField) {
  DatasetQuery query;
  query.page.page_size = 51;
  auto too_big = ListDatasets(pool_, query);
  EXPECT_THAT(too_big, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(PayloadOf(too_big.status(), kFieldPayload), "page_size");
  EXPECT_EQ(PayloadOf(too_big.status(), kCodePayload), "less_than_equal");

  query.page = {.page = 0, .page_size = 20};
  auto zero = ListDatasets(pool_, query);
  EXPECT_EQ(PayloadOf(zero.status(), kFieldPayload), "page");
  EXPECT_EQ(PayloadOf(zero.status(), kCodePayload), "greater_than");
}

TEST_F(LineageQueriesTest, SearchIsCaseInsensitiveAlsoForNonAsciiNames) {
  const std::string location = AddLocation("s3", "bucket", {"s3://bucket"});
  AddDataset(location, "Ärger/日本語_Tabelle");
  AddDataset(location, "other");
  EXPECT_THAT(SearchDatasets("ärger"), ElementsAre("Ärger/日本語_Tabelle"));
  EXPECT_THAT(SearchDatasets("日本語"), ElementsAre("Ärger/日本語_Tabelle"));
  EXPECT_THAT(SearchDatasets("TABELLE"), ElementsAre("Ärger/日本語_Tabelle"));
}

TEST_F(LineageQueriesTest, PercentUnderscoreAndBackslashInSearchAreLiteral) {
  const std::string location = AddLocation("s3", "bucket", {"s3://bucket"});
  for (const char* name : {"100%_done", "1000_done", "100x_done", "a_bc", "axbc", "x\\yz", "xyz"}) {
    AddDataset(location, name);
  }
  EXPECT_THAT(SearchDatasets("0%_"), ElementsAre("100%_done"));
  EXPECT_THAT(SearchDatasets("a_b"), ElementsAre("a_bc"));
  EXPECT_THAT(SearchDatasets("x\\y"), ElementsAre("x\\yz"));
  EXPECT_TRUE(SearchDatasets("%%%").empty());
}

TEST_F(LineageQueriesTest, DatasetSearchAlsoMatchesLocationNamesAndAddresses) {
  const std::string postgres =
      AddLocation("postgres", "db:5432", {"postgres://db:5432", "postgres://db-replica:5432"});
  const std::string hdfs = AddLocation("hdfs", "nn:8020", {"hdfs://nn:8020"});
  AddDataset(postgres, "public.orders");
  AddDataset(hdfs, "/warehouse/orders");
  EXPECT_THAT(SearchDatasets("postgres://db"), ElementsAre("public.orders"));
  EXPECT_THAT(SearchDatasets("replica"), ElementsAre("public.orders"));
  EXPECT_THAT(SearchDatasets("nn:80"), ElementsAre("/warehouse/orders"));
  EXPECT_THAT(SearchDatasets("orders"), ElementsAre("/warehouse/orders", "public.orders"));
}

TEST_F(LineageQueriesTest, DatasetIdAndLocationTypeFiltersNarrowTheList) {
  const std::string postgres = AddLocation("postgres", "db:5432", {});
  const std::string hdfs = AddLocation("hdfs", "nn:8020", {});
  const std::string a = AddDataset(postgres, "a");
  AddDataset(postgres, "b");
  const std::string c = AddDataset(hdfs, "c");

  DatasetQuery by_id;
  by_id.dataset_id = {std::stoll(a), std::stoll(c)};
  EXPECT_THAT(Json(ListDatasets(pool_, by_id)).Items("/data/name"), ElementsAre("a", "c"));
  DatasetQuery by_type;
  by_type.location_type = {"hdfs"};
  EXPECT_THAT(Json(ListDatasets(pool_, by_type)).Items("/data/name"), ElementsAre("c"));
}

TEST_F(LineageQueriesTest, LocationsCarryAddressesAndStatistics) {
  const std::string kafka = AddLocation("kafka", "b1:9092", {"kafka://b1:9092", "kafka://b2:9092"});
  const std::string hdfs = AddLocation("hdfs", "nn:8020", {"hdfs://nn:8020"});
  AddDataset(kafka, "topic_a");
  AddDataset(kafka, "topic_b");
  AddJob(kafka, "streamer", "SPARK_APPLICATION");

  LocationQuery by_address;
  by_address.search_query = "b2:90";
  Json json(ListLocations(pool_, by_address));
  EXPECT_THAT(json.Items("/data/name"), ElementsAre("b1:9092"));
  EXPECT_EQ(json.Str("/items/0/data/addresses/1/url"), "kafka://b2:9092");
  EXPECT_EQ(json.Int("/items/0/statistics/datasets/total_datasets"), 2);
  EXPECT_EQ(json.Int("/items/0/statistics/jobs/total_jobs"), 1);

  LocationQuery by_type;
  by_type.location_type = {"hdfs"};
  EXPECT_THAT(Json(ListLocations(pool_, by_type)).Items("/id"), ElementsAre(hdfs));
}

TEST_F(LineageQueriesTest, JobsFilterByTypeAndSearchByNameOrLocation) {
  const std::string yarn = AddLocation("yarn", "cluster", {"yarn://cluster"});
  const std::string airflow = AddLocation("http", "airflow:8080", {"http://airflow:8080"});
  AddJob(yarn, "etl_app", "SPARK_APPLICATION");
  AddJob(airflow, "daily_dag", "AIRFLOW_DAG");
  AddJob(airflow, "daily_dag.load", "AIRFLOW_TASK");

  JobQuery by_type;
  by_type.job_type = {"AIRFLOW_DAG", "SPARK_APPLICATION"};
  Json typed(ListJobs(pool_, by_type));
  EXPECT_THAT(typed.Items("/data/name"), ElementsAre("daily_dag", "etl_app"));
  EXPECT_EQ(typed.Str("/items/1/data/type"), "SPARK_APPLICATION");
  EXPECT_EQ(typed.Str("/items/1/data/location/name"), "cluster");

  JobQuery by_location;
  by_location.search_query = "airflow:80";
  EXPECT_THAT(Json(ListJobs(pool_, by_location)).Items("/data/name"),
              ElementsAre("daily_dag", "daily_dag.load"));
}

// A token limited to namespaces (issue 21) sees only what lies in them.
class NamespaceLimitTest : public LineageQueriesTest {
 protected:
  void SetUp() override {
    LineageQueriesTest::SetUp();
    // Job namespaces without a scheme are stored as type "unknown".
    team_a_ = AddLocation("unknown", "tg-team-a", {"unknown://tg-team-a"});
    team_b_ = AddLocation("unknown", "tg-team-b", {"unknown://tg-team-b"});
    a_db_ = AddLocation("postgres", "team-a-db:5432", {"postgres://team-a-db:5432"});
    b_db_ = AddLocation("postgres", "team-b-db:5432", {"postgres://team-b-db:5432"});
    a_in_ = AddDataset(a_db_, "a.in");
    AddDataset(a_db_, "a.out");
    b_in_ = AddDataset(b_db_, "b.in");
    a_job_ = AddJob(team_a_, "etl-a", "SPARK_APPLICATION");
    b_job_ = AddJob(team_b_, "etl-b", "SPARK_APPLICATION");
    Exec(absl::StrCat("INSERT INTO run (id, created_at, job_id) VALUES ('", kRunA, "', now(), ", a_job_,
                      "), ('", kRunB, "', now(), ", b_job_, ")"));
  }

  static constexpr char kRunA[] = "01908224-7000-7abc-8def-00000000000a";
  static constexpr char kRunB[] = "01908224-7000-7abc-8def-00000000000b";
  const std::vector<std::string> team_a_patterns_ = {"tg-team-a", "postgres://team-a*"};
  std::string team_a_, team_b_, a_db_, b_db_, a_in_, b_in_, a_job_, b_job_;
};

TEST_F(NamespaceLimitTest, DatasetsJobsRunsAndLocationsOutsideThePatternsAreNotSeenNorCounted) {
  DatasetQuery datasets;
  datasets.namespaces = team_a_patterns_;
  Json seen(ListDatasets(pool_, datasets));
  EXPECT_THAT(seen.Items("/data/name"), ElementsAre("a.in", "a.out"));
  EXPECT_EQ(seen.Int("/meta/total_count"), 2);
  JobQuery jobs;
  jobs.namespaces = team_a_patterns_;
  EXPECT_THAT(Json(ListJobs(pool_, jobs)).Items("/data/name"), ElementsAre("etl-a"));
  RunQuery runs;
  runs.namespaces = team_a_patterns_;
  Json run_page(ListRuns(pool_, runs));
  EXPECT_THAT(run_page.Items("/id"), ElementsAre(kRunA));
  EXPECT_EQ(run_page.Int("/meta/total_count"), 1);
  LocationQuery locations;
  locations.namespaces = team_a_patterns_;
  EXPECT_THAT(Json(ListLocations(pool_, locations)).Items("/id"), UnorderedElementsAre(team_a_, a_db_));
}

TEST_F(NamespaceLimitTest, AnotherTeamsIdAnswersAsAnUnknownId) {
  DatasetQuery theirs;
  theirs.namespaces = team_a_patterns_;
  theirs.dataset_id = {std::stoll(b_in_)};
  DatasetQuery unknown = theirs;
  unknown.dataset_id = {999999999};
  EXPECT_EQ(Json(ListDatasets(pool_, theirs)).text(), Json(ListDatasets(pool_, unknown)).text());
  RunQuery their_run;
  their_run.namespaces = team_a_patterns_;
  their_run.run_id = {kRunB};
  EXPECT_TRUE(Json(ListRuns(pool_, their_run)).Items("/id").empty());
}

TEST_F(NamespaceLimitTest, PatternsMatchWholeNamespacesCaseInsensitivelyWithLiteralPercent) {
  DatasetQuery prefix_only;
  prefix_only.namespaces = {"postgres://team-a"};  // Exact: "postgres://team-a-db:5432" is not it.
  EXPECT_TRUE(Json(ListDatasets(pool_, prefix_only)).Items("/data/name").empty());
  DatasetQuery upper;
  upper.namespaces = {"POSTGRES://TEAM-B-DB:5432"};  // Stored lower-cased, as the consumer writes them.
  EXPECT_THAT(Json(ListDatasets(pool_, upper)).Items("/data/name"), ElementsAre("b.in"));
  DatasetQuery percent;
  percent.namespaces = {"postgres://team-%"};  // '%' is no wildcard here; only '*' is.
  EXPECT_TRUE(Json(ListDatasets(pool_, percent)).Items("/data/name").empty());
}

TEST_F(NamespaceLimitTest, NoMatchingLocationIsAnEmptyPageNotEverything) {
  DatasetQuery nothing;
  nothing.namespaces = {"nobody-*"};
  Json json(ListDatasets(pool_, nothing));
  EXPECT_TRUE(json.Items("/data/name").empty());
  EXPECT_EQ(json.Int("/meta/total_count"), 0);
}

TEST_F(NamespaceLimitTest, NamespaceLimitedDatasetReadUsesTheLocationIndex) {
  // The condition ListDatasets adds for a limited token, planned over many
  // rows of other locations: the datasets are found by location_id through
  // an index, not by reading every dataset and filtering.
  for (int i = 0; i < 2000; ++i) AddDataset(b_db_, absl::StrCat("bulk-", i));
  Exec("ANALYZE");
  const std::string plan =
      Query(absl::StrCat("EXPLAIN SELECT d.id, d.name AS k0 FROM dataset d WHERE d.location_id = ANY('{",
                         a_db_, "}'::bigint[])"));
  EXPECT_THAT(plan, ::testing::HasSubstr("dataset_location_name")) << plan;
}

TEST(NamespacePatternTest, StarBecomesPercentAndLikeWildcardsAreEscaped) {
  EXPECT_EQ(NamespaceLikePattern("S3://Bucket_a*"), "s3://bucket\\_a%");
  EXPECT_EQ(NamespaceLikePattern("100%"), "100\\%");
}

class LineageRunsTest : public LineageQueriesTest {
 protected:
  void SetUp() override {
    LineageQueriesTest::SetUp();
    const std::string location = AddLocation("yarn", "cluster", {"yarn://cluster"});
    app_job_ = AddJob(location, "etl_app", "SPARK_APPLICATION");
    const std::string sql_job = AddJob(location, "etl_app.insert", "SPARK_JOB");
    // parent (SUCCEEDED, 10:00), child (FAILED, 10:05), other (STARTED, 11:00).
    Exec(
        absl::StrCat("INSERT INTO run (id, created_at, job_id, parent_run_id, status, started_at, "
                     "ended_at, external_id) VALUES "
                     "('",
                     kParent, "', '2024-07-05 10:00:00+00', ", app_job_,
                     ", NULL, 1, '2024-07-05 10:00:00+00', "
                     "'2024-07-05 10:30:00.5+00', 'application_1_0001'), "
                     "('",
                     kChild, "', '2024-07-05 10:05:00+00', ", sql_job, ", '", kParent,
                     "', 2, NULL, "
                     "'2024-07-05 10:06:00+00', NULL), "
                     "('",
                     kOther, "', '2024-07-05 11:00:00+00', ", app_job_,
                     ", NULL, 0, '2024-07-05 11:00:00+00', NULL, "
                     "'application_1_0002')"));
    const std::string dataset = AddDataset(location, "in");
    Exec(absl::StrCat("INSERT INTO input (run_id, dataset_id) VALUES ('", kParent, "', ", dataset, ")"));
  }

  std::vector<std::string> Ids(const RunQuery& query) { return Json(ListRuns(pool_, query)).Items("/id"); }

  static constexpr char kParent[] = "01908224-7000-7abc-8def-000000000001";
  static constexpr char kChild[] = "01908224-7000-7abc-8def-000000000002";
  static constexpr char kOther[] = "01908224-7000-7abc-8def-000000000003";
  std::string app_job_;
};

TEST_F(LineageRunsTest, RunsComeNewestFirstInDataRentgensShape) {
  Json json(ListRuns(pool_, RunQuery{}));
  EXPECT_THAT(json.Items("/id"), ElementsAre(kOther, kChild, kParent));
  EXPECT_EQ(json.Str("/items/2/data/status"), "SUCCEEDED");
  EXPECT_EQ(json.Str("/items/1/data/status"), "FAILED");
  EXPECT_EQ(json.Str("/items/0/data/status"), "STARTED");
  EXPECT_EQ(json.Str("/items/2/data/created_at"), "2024-07-05T10:00:00.000000Z");
  EXPECT_EQ(json.Str("/items/2/data/ended_at"), "2024-07-05T10:30:00.500000Z");
  EXPECT_EQ(json.Str("/items/2/data/job_id"), app_job_);
  EXPECT_EQ(json.Str("/items/2/data/external_id"), "application_1_0001");
  EXPECT_EQ(json.Str("/items/1/data/parent_run_id"), kParent);
  EXPECT_TRUE(json.IsNull("/items/1/data/started_at"));
  EXPECT_EQ(json.Int("/items/2/statistics/inputs/total_datasets"), 1);
  EXPECT_EQ(json.Int("/items/2/statistics/outputs/total_datasets"), 0);
}

TEST_F(LineageRunsTest, RunsFilterBySinceUntilStatusParentJobAndSearch) {
  RunQuery window;
  window.since = absl::FromUnixSeconds(1720173900);  // 10:05
  window.until = absl::FromUnixSeconds(1720177200);  // 11:00
  EXPECT_THAT(Ids(window), ElementsAre(kOther, kChild));
  RunQuery failed;
  failed.status = {"FAILED", "KILLED"};
  EXPECT_THAT(Ids(failed), ElementsAre(kChild));
  RunQuery children;
  children.parent_run_id = {kParent};
  EXPECT_THAT(Ids(children), ElementsAre(kChild));
  RunQuery of_job;
  of_job.job_id = {std::stoll(app_job_)};
  EXPECT_THAT(Ids(of_job), ElementsAre(kOther, kParent));
  RunQuery by_external_id;
  by_external_id.search_query = "1_0002";
  EXPECT_THAT(Ids(by_external_id), ElementsAre(kOther));
  RunQuery by_job_name;
  by_job_name.search_query = "app.ins";
  EXPECT_THAT(Ids(by_job_name), ElementsAre(kChild));
}

TEST(LineageParamsTest, RepeatedIdsAreAllKept) {
  auto query = DatasetQueryFromParams({{"dataset_id", "3"}, {"dataset_id", "7"}, {"page_size", "50"}});
  ASSERT_THAT(query, IsOk());
  EXPECT_THAT(query->dataset_id, ElementsAre(3, 7));
  EXPECT_EQ(query->page.page_size, 50);
}

TEST(LineageParamsTest, InvalidParametersNameTheFieldAndPydanticCode) {
  const struct {
    LineageParams params;
    const char* field;
    const char* code;
  } cases[] = {
      {{{"page", "0"}}, "page", "greater_than"},
      {{{"page_size", "51"}}, "page_size", "less_than_equal"},
      {{{"page_size", "1099511627776"}}, "page_size", "less_than_equal"},
      {{{"page", "x"}}, "page", "int_parsing"},
      {{{"dataset_id", "1.5"}}, "dataset_id", "int_parsing"},
      {{{"search_query", "ab"}}, "search_query", "string_too_short"},
      {{{"color", "red"}}, "color", "extra_forbidden"},
  };
  for (const auto& c : cases) {
    auto query = DatasetQueryFromParams(c.params);
    EXPECT_EQ(PayloadOf(query.status(), kFieldPayload), c.field) << c.field;
    EXPECT_EQ(PayloadOf(query.status(), kCodePayload), c.code) << c.field;
  }
}

TEST(LineageParamsTest, RunParametersAreTypedAndChecked) {
  auto ok = RunQueryFromParams({{"since", "2024-07-05T10:00:00+02:00"},
                                {"status", "SUCCEEDED"},
                                {"parent_run_id", "01908224-7000-7ABC-8DEF-000000000001"}});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->since, absl::FromUnixSeconds(1720166400));
  EXPECT_THAT(ok->parent_run_id, ElementsAre("01908224-7000-7abc-8def-000000000001"));
  EXPECT_EQ(PayloadOf(RunQueryFromParams({{"status", "DONE"}}).status(), kCodePayload), "enum");
  EXPECT_EQ(PayloadOf(RunQueryFromParams({{"run_id", "x"}}).status(), kCodePayload), "uuid_parsing");
  EXPECT_EQ(PayloadOf(RunQueryFromParams({{"since", "noon"}}).status(), kFieldPayload), "since");
  for (const char* before_epoch :
       {"0050-01-01T00:00:00Z", "0001-01-01", "0012-12-31T23:59:59Z", "1969-12-31T23:59:59Z"}) {
    const absl::Status status = RunQueryFromParams({{"until", before_epoch}}).status();
    EXPECT_EQ(PayloadOf(status, kCodePayload), "greater_than_equal") << before_epoch;
    EXPECT_EQ(PayloadOf(status, kFieldPayload), "until") << before_epoch;
  }
  EXPECT_THAT(RunQueryFromParams({{"since", "1970-01-01T00:00:00Z"}}), IsOk());
  EXPECT_EQ(PayloadOf(RunQueryFromParams({{"since", "10000-01-01"}}).status(), kCodePayload),
            "datetime_from_date_parsing");
  EXPECT_EQ(PayloadOf(RunQueryFromParams({{"since", "2024-07-06"}, {"until", "2024-07-05"}}).status(),
                      kFieldPayload),
            "until");
}

TEST(LineageParamsTest, SearchQueryLengthCountsCharactersNotBytes) {
  EXPECT_THAT(DatasetQueryFromParams({{"search_query", "日本語"}}), IsOk());
  EXPECT_FALSE(DatasetQueryFromParams({{"search_query", "日本"}}).ok());
}

TEST(SubstringPatternTest, EscapesLikeWildcardsAndTheEscapeCharacter) {
  EXPECT_EQ(SubstringPattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
}

TEST(PageMetaJsonTest, MiddlePageHasBothNeighbours) {
  EXPECT_EQ(PageMetaJson({.page = 2, .page_size = 10}, 25, 10),
            R"({"page":2,"page_size":10,"total_count":25,"pages_count":3,"has_next":true,)"
            R"("has_previous":true,"next_page":3,"previous_page":1})");
}

TEST(PageMetaJsonTest, EmptyListStillHasOnePage) {
  EXPECT_EQ(PageMetaJson({.page = 1, .page_size = 20}, 0, 0),
            R"({"page":1,"page_size":20,"total_count":0,"pages_count":1,"has_next":false,)"
            R"("has_previous":false,"next_page":null,"previous_page":null})");
}

}  // namespace
}  // namespace tokengate::testing
