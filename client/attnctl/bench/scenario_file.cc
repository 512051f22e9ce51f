#include "client/attnctl/bench/scenario_file.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/attnctl/attention_inputs.h"
#include "client/attnctl/flag_values.h"
#include "google/protobuf/util/json_util.h"
#include "server/decode/tensor_codec.h"
#include "yaml-cpp/yaml.h"

namespace attnserve::attnctl {
namespace {

const std::set<std::string>& KnownKeys() {
  static const auto* keys = new std::set<std::string>{
      "name",     "weight",     "batch",   "q_len",  "kv_len", "heads",           "kv_heads",
      "head_dim", "v_head_dim", "dtype",   "causal", "window", "position_offset", "softmax_scale",
      "backend",  "seed",       "encoding"};
  return *keys;
}

// A YAML node as JSON text, for protobuf's JSON parser: scalars that read as numbers or
// booleans stay bare, everything else is a string.
std::string ToJson(const YAML::Node& node) {
  if (node.IsMap()) {
    std::vector<std::string> members;
    for (const auto& entry : node) {
      members.push_back(
          absl::StrCat("\"", entry.first.as<std::string>(), "\":", ToJson(entry.second)));
    }
    return absl::StrCat("{", absl::StrJoin(members, ","), "}");
  }
  if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : node) items.push_back(ToJson(item));
    return absl::StrCat("[", absl::StrJoin(items, ","), "]");
  }
  if (node.IsNull()) return "null";
  const std::string text = node.as<std::string>();
  double number;
  if (text == "true" || text == "false" || absl::SimpleAtod(text, &number)) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

template <typename T>
T Get(const YAML::Node& kind, const char* key, T fallback) {
  return kind[key] ? kind[key].as<T>() : fallback;
}

absl::StatusOr<RequestKind> KindFromNode(const YAML::Node& node, size_t index) {
  RequestKind kind;
  kind.name = Get<std::string>(node, "name", absl::StrCat("kind", index));
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (!KnownKeys().contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", kind.name, ": unknown key '", key,
                       "'; known: ", absl::StrJoin(KnownKeys(), ", ")));
    }
  }
  kind.weight = Get<double>(node, "weight", 1);
  RandomInputsParams params;
  params.shape.batch = Get<int64_t>(node, "batch", 1);
  params.shape.q_len = Get<int64_t>(node, "q_len", 16);
  params.shape.kv_len = Get<int64_t>(node, "kv_len", 16);
  params.shape.heads = Get<int64_t>(node, "heads", 8);
  params.shape.kv_heads = Get<int64_t>(node, "kv_heads", params.shape.heads);
  params.shape.head_dim = Get<int64_t>(node, "head_dim", 64);
  params.shape.v_head_dim = Get<int64_t>(node, "v_head_dim", params.shape.head_dim);
  params.seed = Get<uint64_t>(node, "seed", 1 + index);
  absl::StatusOr<std::optional<DataType>> dtype =
      ParseDataType(Get<std::string>(node, "dtype", "float32"), "dtype", false);
  if (!dtype.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.name, ": ", dtype.status().message()));
  }
  params.dtype = **dtype;
  absl::StatusOr<AttentionInputs> inputs = RandomInputs(params);
  if (!inputs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", kind.name, ": ", inputs.status().message()));
  }
  v1::AttentionRequest& request = kind.request;
  *request.mutable_query() = std::move(inputs->query);
  *request.mutable_key() = std::move(inputs->key);
  *request.mutable_value() = std::move(inputs->value);
  request.set_causal(Get<bool>(node, "causal", false));
  request.set_window(Get<int64_t>(node, "window", 0));
  request.set_softmax_scale(Get<double>(node, "softmax_scale", 0));
  request.set_backend(Get<std::string>(node, "backend", ""));
  if (node["position_offset"]) {
    for (int64_t b = 0; b < params.shape.batch; ++b) {
      request.add_position_offsets(node["position_offset"].as<int64_t>());
    }
  }
  if (node["encoding"]) {
    // protobuf 3.21 has its own Status type.
    const google::protobuf::util::Status parsed = google::protobuf::util::JsonStringToMessage(
        ToJson(node["encoding"]), request.mutable_encoding());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", kind.name, ": encoding: ", parsed.message().as_string()));
    }
  }
  return kind;
}

}  // namespace

absl::StatusOr<std::vector<RequestKind>> ReadScenarioFile(const std::string& path) {
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (!root["kinds"] || !root["kinds"].IsSequence()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": needs a 'kinds' list"));
    }
    std::vector<RequestKind> kinds;
    for (size_t i = 0; i < root["kinds"].size(); ++i) {
      absl::StatusOr<RequestKind> kind = KindFromNode(root["kinds"][i], i);
      if (!kind.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", kind.status().message()));
      }
      kinds.push_back(std::move(*kind));
    }
    return kinds;
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", error.what()));
  }
}

}  // namespace attnserve::attnctl
