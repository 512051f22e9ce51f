// A test fixture that runs one real attnserve process on 127.0.0.1 for a whole test suite and
// checks, when the suite ends, that SIGTERM stops it with exit code 0.
#ifndef ATTNSERVE_TESTS_SERVER_LIVE_SERVER_H_
#define ATTNSERVE_TESTS_SERVER_LIVE_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "client/cpp/attnserve_client.h"
#include "gtest/gtest.h"
#include "tests/support/server_process.h"

namespace attnserve::testing {

template <typename Base = ::testing::Test>
class WithLiveServer : public Base {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start({});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started).release();
  }

  static void TearDownTestSuite() {
    if (server_ == nullptr) return;
    absl::StatusOr<int> exit_code = server_->Stop();
    EXPECT_EQ(exit_code.value_or(-1), 0) << exit_code.status();
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(server_, nullptr) << "the server did not start"; }

  AttnClient Client() const { return AttnClient({server_->target(), absl::Seconds(60)}); }

  static inline ServerProcess* server_ = nullptr;
};

}  // namespace attnserve::testing

#endif  // ATTNSERVE_TESTS_SERVER_LIVE_SERVER_H_
