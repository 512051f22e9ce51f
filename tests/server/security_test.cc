// TLS, mutual TLS and bearer tokens against real server processes, with certificates and tokens
// made for the test by openssl (tests/support/make_test_pki.sh).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cpp/attnserve_client.h"
#include "gtest/gtest.h"
#include "tests/support/attnctl_runner.h"
#include "tests/support/invalid_requests.h"
#include "tests/support/server_process.h"

#ifndef MAKE_TEST_PKI
#error "MAKE_TEST_PKI must name tests/support/make_test_pki.sh"
#endif

namespace attnserve {
namespace {

using ServingStatus = grpc::health::v1::HealthCheckResponse;

class Security : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/attnserve-pki-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    pki_dir_ = new std::string(pattern);
    ASSERT_EQ(std::system(absl::StrCat("bash ", MAKE_TEST_PKI, " ", *pki_dir_).c_str()), 0);
  }

  static void TearDownTestSuite() {
    std::filesystem::remove_all(*pki_dir_);
    delete pki_dir_;
  }

  static std::string Path(const std::string& name) { return *pki_dir_ + "/" + name; }

  static std::string Read(const std::string& name) {
    std::ifstream file(Path(name));
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
  }

  static std::string Token(const std::string& file) {
    return std::string(absl::StripAsciiWhitespace(Read(file)));
  }

  // Starts a server with `args` and keeps it until the test ends.
  std::string StartServer(const std::vector<std::string>& args) {
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> started =
        testing::ServerProcess::Start(args);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return "";
    server_ = *std::move(started);
    return server_->target();
  }

  std::vector<std::string> TlsArgs() const {
    return {"--tls_cert", Path("server.pem"), "--tls_key", Path("server.key")};
  }

  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop().value_or(-1), 0);
    }
  }

  static AttnClient Client(const std::string& target, ChannelSecurity security) {
    ClientOptions options;
    options.target = target;
    options.timeout = absl::Seconds(20);
    options.security = std::move(security);
    return AttnClient(options);
  }

  static ChannelSecurity Trusting(const std::string& ca) {
    ChannelSecurity security;
    security.tls = true;
    security.ca_pem = Read(ca);
    return security;
  }

  static ChannelSecurity TrustingTheCa() { return Trusting("ca.pem"); }

  static ChannelSecurity WithIdentity(const std::string& name) {
    ChannelSecurity security = TrustingTheCa();
    security.cert_chain_pem = Read(name + ".pem");
    security.private_key_pem = Read(name + ".key");
    return security;
  }

  static inline std::string* pki_dir_ = nullptr;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(Security, TlsServerAnswersClientsThatTrustItsCa) {
  const std::string target = StartServer(TlsArgs());
  AttnClient client = Client(target, TrustingTheCa());
  EXPECT_TRUE(client.GetServerInfo().ok());
  absl::StatusOr<v1::AttentionResponse> response =
      client.ComputeAttention(testing::ValidAttentionRequest());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->output().shape_size(), 4);
}

TEST_F(Security, TlsServerRefusesPlaintextClients) {
  const std::string target = StartServer(TlsArgs());
  EXPECT_EQ(Client(target, {}).GetServerInfo().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(Security, ClientRefusesAServerItsCaDidNotSign) {
  const std::string target = StartServer(TlsArgs());
  EXPECT_EQ(Client(target, Trusting("rogue_ca.pem")).GetServerInfo().status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(Security, ServerNameOverrideMustMatchTheCertificate) {
  const std::string target = StartServer(TlsArgs());
  ChannelSecurity named = TrustingTheCa();
  named.server_name = "localhost";
  EXPECT_TRUE(Client(target, named).GetServerInfo().ok());
  named.server_name = "elsewhere.example";
  EXPECT_EQ(Client(target, named).GetServerInfo().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(Security, MutualTlsLetsInOnlyClientsSignedByTheClientCa) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--tls_client_ca", Path("ca.pem")});
  const std::string target = StartServer(args);
  EXPECT_EQ(Client(target, TrustingTheCa()).GetServerInfo().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Client(target, WithIdentity("rogue_client")).GetServerInfo().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Client(target, WithIdentity("client")).GetServerInfo().ok());
}

TEST_F(Security, TokenAuthRefusesCallsWithoutAValidTokenAndSaysWhy) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--auth_token_file", Path("tokens.txt")});
  const std::string target = StartServer(args);

  absl::Status missing = Client(target, TrustingTheCa()).GetServerInfo().status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.message(), "missing 'authorization: Bearer <token>' metadata");

  ChannelSecurity wrong = TrustingTheCa();
  wrong.auth_token = Token("wrong_token.txt");
  absl::Status refused =
      Client(target, wrong).ComputeAttention(testing::ValidAttentionRequest()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.message(), "invalid bearer token");
}

TEST_F(Security, EveryTokenOfTheFileIsAccepted) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--auth_token_file", Path("tokens.txt")});
  const std::string target = StartServer(args);
  std::istringstream lines(Read("tokens.txt"));
  int tokens = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    ChannelSecurity security = TrustingTheCa();
    security.auth_token = line;
    AttnClient client = Client(target, security);
    EXPECT_TRUE(client.ComputeAttention(testing::ValidAttentionRequest()).ok());
    EXPECT_TRUE(client.GetAlibiSlopes(testing::ValidAlibiRequest()).ok());
    ++tokens;
  }
  EXPECT_EQ(tokens, 2);
}

TEST_F(Security, HealthNeedsNoTokenSoProbesWork) {
  const std::string target = StartServer({"--auth_token_file", Path("tokens.txt")});
  EXPECT_EQ(Client(target, {}).CheckHealth("").value_or(ServingStatus::UNKNOWN),
            ServingStatus::SERVING);
  EXPECT_EQ(Client(target, {}).GetServerInfo().status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(Security, AttnctlConnectsWithMutualTlsAndAToken) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(),
              {"--tls_client_ca", Path("ca.pem"), "--auth_token_file", Path("tokens.txt")});
  const std::string target = StartServer(args);
  const std::vector<std::string> security_flags = {
      "--tls_ca",  Path("ca.pem"),     "--tls_cert",        Path("client.pem"),
      "--tls_key", Path("client.key"), "--auth_token_file", Path("token.txt")};

  std::vector<std::string> attention = {"attention", "--target", target, "--verify"};
  attention.insert(attention.end(), security_flags.begin(), security_flags.end());
  testing::RunResult verified = testing::RunAttnctl(attention);
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("ok"), std::string::npos) << verified.out;

  std::vector<std::string> bench = {"bench",         "--target", target,     "--requests", "20",
                                    "--concurrency", "2",        "--warmup", "0"};
  bench.insert(bench.end(), security_flags.begin(), security_flags.end());
  testing::RunResult benched = testing::RunAttnctl(bench);
  EXPECT_EQ(benched.exit_code, 0) << benched.err;

  testing::RunResult no_token =
      testing::RunAttnctl({"info", "--target", target, "--tls_ca", Path("ca.pem"), "--tls_cert",
                           Path("client.pem"), "--tls_key", Path("client.key")});
  EXPECT_NE(no_token.exit_code, 0);
  EXPECT_NE(no_token.err.find("UNAUTHENTICATED"), std::string::npos) << no_token.err;
}

}  // namespace
}  // namespace attnserve
