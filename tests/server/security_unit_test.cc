// BearerTokenAuth and LoadTls: token files, the checks of the authorization metadata, and the
// TLS flag rules, without a server.
#include <map>

#include "gtest/gtest.h"
#include "server/security/bearer_token_auth.h"
#include "server/security/secret_file.h"
#include "server/security/tls_files.h"

namespace attnserve {
namespace {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

absl::Status CheckHeader(const BearerTokenAuth& auth, const std::string& authorization) {
  return auth.Check(Metadata{{"authorization", authorization}});
}

TEST(BearerTokenAuth, AcceptsEveryTokenLineAndSkipsCommentsAndBlanks) {
  absl::StatusOr<BearerTokenAuth> auth =
      BearerTokenAuth::FromText("# rotation in progress\n  old-token-1 \n\nnew-token-2\r\n");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(CheckHeader(*auth, "Bearer old-token-1").ok());
  EXPECT_TRUE(CheckHeader(*auth, "Bearer new-token-2").ok());
  EXPECT_EQ(CheckHeader(*auth, "Bearer # rotation in progress").code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(BearerTokenAuth, RefusesNearMissesOfAToken) {
  absl::StatusOr<BearerTokenAuth> auth = BearerTokenAuth::FromText("s3cret-token\n");
  ASSERT_TRUE(auth.ok());
  for (const char* wrong : {"Bearer s3cret-toke", "Bearer s3cret-token-", "Bearer S3cret-token",
                            "Bearer ", "Bearer  s3cret-token"}) {
    absl::Status status = CheckHeader(*auth, wrong);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << wrong;
    EXPECT_EQ(status.message(), "invalid bearer token") << wrong;
  }
}

TEST(BearerTokenAuth, SaysWhenTheMetadataIsMissingOrNotBearer) {
  absl::StatusOr<BearerTokenAuth> auth = BearerTokenAuth::FromText("token");
  ASSERT_TRUE(auth.ok());
  absl::Status missing = auth->Check(Metadata{{"x-other", "Bearer token"}});
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(missing.message(), "missing 'authorization: Bearer <token>' metadata");
  absl::Status basic = CheckHeader(*auth, "Basic dXNlcjp0b2tlbg==");
  EXPECT_EQ(basic.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(basic.message(), "'authorization' metadata must be 'Bearer <token>'");
}

TEST(BearerTokenAuth, AFileWithoutTokensIsAnError) {
  absl::StatusOr<BearerTokenAuth> auth = BearerTokenAuth::FromText("# nothing yet\n\n");
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(auth.status().message(), "holds no token");
}

TEST(BearerTokenAuth, AnUnreadableFileNamesTheFlag) {
  absl::StatusOr<BearerTokenAuth> auth = BearerTokenAuth::FromFile("/nonexistent/tokens");
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(auth.status().message(),
            "--auth_token_file=/nonexistent/tokens: cannot read: No such file or directory");
}

TEST(LoadTls, NoFlagsMeansPlaintext) {
  absl::StatusOr<std::optional<TlsPem>> tls = LoadTls({});
  ASSERT_TRUE(tls.ok());
  EXPECT_FALSE(tls->has_value());
}

TEST(LoadTls, CertificateAndKeyComeTogether) {
  EXPECT_EQ(LoadTls({"/x.pem", "", ""}).status().message(),
            "--tls_cert and --tls_key must be given together");
  EXPECT_EQ(LoadTls({"", "/x.key", ""}).status().message(),
            "--tls_cert and --tls_key must be given together");
  EXPECT_EQ(LoadTls({"", "", "/ca.pem"}).status().message(),
            "--tls_client_ca needs --tls_cert and --tls_key");
}

TEST(LoadTls, AMissingFileNamesItsFlag) {
  absl::StatusOr<std::optional<TlsPem>> tls =
      LoadTls({"/nonexistent/cert.pem", "/nonexistent/key.pem", ""});
  EXPECT_EQ(tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tls.status().message(),
            "--tls_cert=/nonexistent/cert.pem: cannot read: No such file or directory");
}

}  // namespace
}  // namespace attnserve
