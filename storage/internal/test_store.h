// Private to storage/'s tests: a temporary directory and a small store with
// entities, a source, facts written both ways (Apply and FactLoader) and a
// retraction, for the checks that read a whole database.
#ifndef ENTENTE_STORAGE_INTERNAL_TEST_STORE_H_
#define ENTENTE_STORAGE_INTERNAL_TEST_STORE_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "proto/date_text.h"
#include "storage/fact_loader.h"
#include "storage/store.h"

namespace entente::storage::testing {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            absl::StrCat("entente_storage_test_", ::getpid(), "_", counter_++);
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

inline v1::Fact Visit(const std::string& visitor, const std::string& host, int year, int month,
                      int day, const std::string& summary) {
  v1::Fact fact;
  fact.set_type(v1::FACT_TYPE_VISIT);
  auto* p = fact.add_participants();
  p->set_entity_id(visitor);
  p->set_role(v1::PARTICIPANT_ROLE_VISITOR);
  p = fact.add_participants();
  p->set_entity_id(host);
  p->set_role(v1::PARTICIPANT_ROLE_HOST);
  *fact.mutable_valid_time()->mutable_start() = date_text::MakeDate(year, month, day);
  fact.set_summary(summary);
  fact.mutable_provenance()->set_source_id("wire");
  return fact;
}

// Fills `store`: three states with aliases, a source, `applied` facts
// through RecordFact, `loaded` through a FactLoader, and the first fact
// retracted. Returns the id of the retracted fact.
inline std::string FillStore(Store& store, int applied = 20, int loaded = 30) {
  for (const auto& [id, name, alias] : {std::tuple{"IRN", "Iran", "Tehran"},
                                        std::tuple{"RUS", "Russia", "Moscow"},
                                        std::tuple{"CHN", "China", "Beijing"}}) {
    v1::Entity entity;
    entity.set_id(id);
    entity.set_kind(v1::ENTITY_KIND_STATE);
    entity.set_name(name);
    entity.add_aliases(alias);
    EXPECT_TRUE(store.UpsertEntity(entity).ok());
  }
  v1::Source source;
  source.set_id("wire");
  source.set_title("A wire service");
  EXPECT_TRUE(store.UpsertSource(source).ok());
  const char* states[] = {"IRN", "RUS", "CHN"};
  std::string first;
  for (int i = 0; i < applied; ++i) {
    auto result = store.RecordFact(Visit(states[i % 3], states[(i + 1) % 3], 2001 + i % 20,
                                         1 + i % 12, 1 + i % 28, absl::StrCat("applied ", i)));
    EXPECT_TRUE(result.ok()) << result.status();
    if (i == 0 && result.ok()) first = result->id;
  }
  FactLoader loader(store);
  for (int i = 0; i < loaded; ++i) {
    EXPECT_TRUE(loader.Add(Visit(states[(i + 1) % 3], states[i % 3], 1990 + i % 30, 1 + i % 12,
                                 1 + i % 28, absl::StrCat("loaded ", i)))
                    .ok());
  }
  EXPECT_TRUE(loader.Flush().ok());
  EXPECT_TRUE(store.RetractFact(first, "a test retraction").ok());
  return first;
}

}  // namespace entente::storage::testing

#endif  // ENTENTE_STORAGE_INTERNAL_TEST_STORE_H_
