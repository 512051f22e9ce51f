// The compute backends a server offers, owned for its lifetime, and the choice among them: the
// request's named backend, else the server's default. Immutable after construction, so every
// method is thread-safe.
#ifndef ATTNSERVE_SERVER_ENGINE_BACKEND_REGISTRY_H_
#define ATTNSERVE_SERVER_ENGINE_BACKEND_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kernels/api/backend.h"

namespace attnserve {

class BackendRegistry {
 public:
  // Fails when `default_backend` names none of `backends`.
  static absl::StatusOr<BackendRegistry> Create(std::vector<std::unique_ptr<Backend>> backends,
                                                absl::string_view default_backend);

  // The backend a request runs on, and its name (the default's when the request named none).
  struct Selected {
    const Backend* backend;
    const std::string* name;  // owned by the registry
  };

  // `requested` empty means the default; an unknown name is INVALID_ARGUMENT listing the known.
  absl::StatusOr<Selected> Select(absl::string_view requested) const;

  const std::vector<BackendDescription>& descriptions() const { return descriptions_; }
  const std::string& default_name() const { return default_name_; }

 private:
  BackendRegistry() = default;

  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<BackendDescription> descriptions_;  // same order as backends_
  std::string default_name_;
};

}  // namespace attnserve

#endif  // ATTNSERVE_SERVER_ENGINE_BACKEND_REGISTRY_H_
