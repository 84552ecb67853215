// Reader for TensorFlow checkpoints (the "tensor bundle" format, V2), without TensorFlow.
//
// A checkpoint with prefix P is P.index, a LevelDB-style table of tensor name -> metadata, and
// the data shards P.data-00000-of-0000N holding each tensor's raw little-endian bytes. This covers
// tf.compat.v1.train.Saver checkpoints, TF2 object-based ones (tf.train.Checkpoint, Keras
// save_weights in TensorFlow format) and a SavedModel's variables/. The table and the protobuf
// messages it holds are decoded by hand (tf_table.hpp, tf_checkpoint_format.hpp);
// Snappy-compressed table blocks need libsnappy (SEQ2SEQ_SNAPPY, CMake finds Debian's
// libsnappy-dev) and are otherwise a clear error.
//
// What TFCheckpoint accepts (everything else throws seq2seq::Error naming the file, and the tensor
// where there is one):
//  - the index: footer magic, every block's masked crc32c, restart arrays, keys strictly
//    ascending, the header entry (little-endian, a bundle version this reader knows);
//  - each tensor: a known dtype, a known shape whose element count matches its byte size, a
//    shard that exists, bytes inside the shard, and the tensor's masked crc32c (verified on load);
//  - numeric dtypes (float, double, half, bfloat16, int8..int64, uint8..uint64, bool) become
//    TensorFile entries; partitioned variables (tf.compat.v1 partitioners) are assembled from
//    their slices, which must tile them exactly; string tensors are checked and readable as
//    strings(); other dtypes (variant, resource) are listed by unreadable() and throw a clear
//    error when asked for.
// Nothing a file merely claims is allocated: sizes are checked against the files' real sizes
// first. Tensors are read one at a time from the shards (no copy of a whole shard), so loading
// needs about the size of the numeric tensors.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <seq2seq/io/tensor_file.hpp>
#include <seq2seq/io/tf_checkpoint_format.hpp>

namespace seq2seq::io {

/// A TensorFlow checkpoint, loaded and verified. Tensors are TensorFile's (names(), shape(),
/// dtype(), tensor<T, Rank>(), integers(), scalar()), under their checkpoint keys and, for
/// object-based checkpoints, also under the variable names TensorFlow gave them (the object
/// graph's full_name, e.g. "encoder/gru_cell/kernel" for
/// "model/layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE"), so that the io::tf1 and
/// io::keras builders work on either. Copyable; accessors are const and thread-compatible.
class TFCheckpoint : public TensorFile {
 public:
  /// Loads the checkpoint at `path`: a prefix ("train/model.ckpt-12000", with P.index beside it),
  /// the index file itself ("….index"), or a SavedModel directory (reads its
  /// variables/variables.*). Throws Error if a file is missing, unreadable or corrupt.
  static TFCheckpoint load(const std::string& path);

  /// A checkpoint already in memory: the bytes of its .index file and of its data shards, in
  /// shard order. `name` stands for the prefix in error messages (shards are called
  /// "<name>.data-00000-of-0000N"). Throws Error as load() does.
  static TFCheckpoint parse(std::string index, std::vector<std::string> shards,
                            std::string name = "<memory>");

  /// The checkpoint prefix the files were found at (P in P.index).
  const std::string& prefix() const { return prefix_; }

  /// True for a TF2 object-based checkpoint (it holds "_CHECKPOINTABLE_OBJECT_GRAPH").
  bool object_based() const { return object_based_; }

  /// TF2 only: each variable's TensorFlow name (the object graph's full_name) -> its checkpoint
  /// key. Both names are readable through the TensorFile accessors. Empty for TF1 checkpoints.
  const std::map<std::string, std::string>& variables() const { return variables_; }

  /// The checkpoint key a name stands for: variables()[name] for a TF2 variable name, else the
  /// name itself.
  const std::string& key_of(const std::string& tensor_name) const {
    const auto it = variables_.find(tensor_name);
    return it == variables_.end() ? tensor_name : it->second;
  }

  /// Tensors that are listed in the checkpoint but cannot be read as numbers -> why ("string
  /// tensor", "variant tensor", …). tensor() on one throws with that reason.
  const std::map<std::string, std::string>& unreadable() const { return unreadable_entries(); }

  /// The elements of a string tensor (e.g. "_CHECKPOINTABLE_OBJECT_GRAPH"), row-major. Throws
  /// Error if `tensor_name` is not a string tensor.
  std::vector<std::string> strings(const std::string& tensor_name) const;

  /// True for what training adds beside the model's weights: optimizer slots and variables
  /// (".../Adam", ".../Adam_1", "beta1_power", TF2 "optimizer/…" and ".OPTIMIZER_SLOT" keys and
  /// their "Adam/m/…" names), "global_step" and "save_counter".
  bool is_training_state(const std::string& tensor_name) const;

 private:
  static constexpr Format kFormat{"TensorFlow checkpoint", "half, bfloat16, float or double",
                                  "metadata", " (checkpoints have no metadata)"};

  struct Shard {
    std::string path;
    std::uint64_t size = 0;
    std::string bytes;  // parse() only: the whole shard
    bool in_memory = false;
  };

  explicit TFCheckpoint(std::string name) : TensorFile(kFormat, std::move(name)) {}

  static std::string find_prefix(const std::string& path);
  void read_index(const std::string& index_bytes, std::vector<std::string>* memory_shards);
  std::uint64_t element_count(const std::string& key, const detail::BundleEntry& e) const;
  std::string read_numeric(const std::string& key, const detail::BundleEntry& e,
                           const detail::TFDType& type, std::uint64_t count) const;
  void add_tensor(const std::string& key, const detail::BundleEntry& e);
  void assemble(const std::string& key, const detail::BundleEntry& e,
                const std::map<std::string, detail::BundleEntry>& slices);
  std::string read_bytes(const std::string& key, const detail::BundleEntry& e) const;
  void read_object_graph();

  std::string prefix_;
  std::vector<Shard> shards_;
  bool object_based_ = false;
  std::map<std::string, std::string> variables_;
  std::map<std::string, std::vector<std::string>> strings_;
  std::set<std::string> training_names_;  // TF2 full_names of optimizer variables
};

// ---------------------------------------------------------------------------------------------

inline std::string TFCheckpoint::find_prefix(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string index_suffix = ".index";
  if (path.size() > index_suffix.size() &&
      path.compare(path.size() - index_suffix.size(), index_suffix.size(), index_suffix) == 0) {
    return path.substr(0, path.size() - index_suffix.size());
  }
  if (fs::is_directory(path, ec)) {
    const fs::path variables = fs::path(path) / "variables" / "variables";
    if (fs::exists(variables.string() + index_suffix, ec)) return variables.string();
    fail_in(kFormat, path,
            "is a directory but not a SavedModel: no variables/variables.index in it");
  }
  return path;
}

inline TFCheckpoint TFCheckpoint::load(const std::string& path) {
  const std::string prefix = find_prefix(path);
  TFCheckpoint ckpt(prefix + ".index");
  ckpt.prefix_ = prefix;
  std::error_code ec;
  if (!std::filesystem::exists(prefix + ".index", ec)) {
    fail_in(kFormat, prefix + ".index",
            "no such file (load() takes a checkpoint prefix such as 'model.ckpt-1000', its "
            ".index file, or a SavedModel directory)");
  }
  ckpt.read_index(read_file(kFormat, prefix + ".index"), nullptr);
  ckpt.read_object_graph();
  return ckpt;
}

inline TFCheckpoint TFCheckpoint::parse(std::string index, std::vector<std::string> shards,
                                        std::string name) {
  TFCheckpoint ckpt(name + ".index");
  ckpt.prefix_ = std::move(name);
  ckpt.read_index(index, &shards);
  ckpt.read_object_graph();
  return ckpt;
}

inline void TFCheckpoint::read_index(const std::string& index_bytes,
                                     std::vector<std::string>* memory_shards) {
  const detail::TableReader table(index_bytes, name());
  std::vector<std::pair<std::string, std::string>> entries = table.entries();
  if (entries.empty() || !entries.front().first.empty()) {
    fail("the index has no header entry (its first key must be the empty string)");
  }
  const detail::BundleHeader header = detail::parse_bundle_header(entries.front().second, name());
  if (header.big_endian) fail("big-endian checkpoints are not supported");
  if (header.num_shards <= 0 || header.num_shards > 99999) {
    fail("header: num_shards = ", header.num_shards, " (expected 1..99999)");
  }
  for (std::int64_t s = 0; s < header.num_shards; ++s) {
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".data-%05lld-of-%05lld", static_cast<long long>(s),
                  static_cast<long long>(header.num_shards));
    Shard shard;
    shard.path = prefix_ + suffix;
    if (memory_shards != nullptr) {
      if (s >= static_cast<std::int64_t>(memory_shards->size())) {
        fail_in(kFormat, shard.path, "data shard ", s, " of ", header.num_shards, " is missing (",
                memory_shards->size(), " given)");
      }
      shard.bytes = std::move((*memory_shards)[static_cast<std::size_t>(s)]);
      shard.size = shard.bytes.size();
      shard.in_memory = true;
    } else {
      std::error_code ec;
      const auto size = std::filesystem::file_size(shard.path, ec);
      if (ec) fail_in(kFormat, shard.path, "data shard ", s, " of ", header.num_shards, " is missing or unreadable");
      shard.size = static_cast<std::uint64_t>(size);
    }
    shards_.push_back(std::move(shard));
  }
  if (memory_shards != nullptr && memory_shards->size() != shards_.size()) {
    fail("the header says ", shards_.size(), " data shards but ", memory_shards->size(), " were given");
  }
  // Slices of partitioned variables (keys starting with a zero byte) are only read to assemble
  // their variables, after every entry is known.
  std::map<std::string, detail::BundleEntry> slices;
  std::vector<std::pair<std::string, detail::BundleEntry>> partitioned;
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const auto& [key, value] = entries[i];
    detail::BundleEntry e = detail::parse_bundle_entry(value, key, name());
    if (key.front() == '\0') {
      slices.emplace(key, std::move(e));
    } else if (!e.slices.empty()) {
      partitioned.emplace_back(key, std::move(e));
    } else {
      add_tensor(key, e);
    }
  }
  for (const auto& [key, e] : partitioned) assemble(key, e, slices);
  for (auto& shard : shards_) shard.bytes = std::string();  // every tensor now has its own copy
}

inline std::string TFCheckpoint::read_bytes(const std::string& key,
                                            const detail::BundleEntry& e) const {
  if (e.shard_id < 0 || e.shard_id >= static_cast<std::int64_t>(shards_.size())) {
    fail("tensor '", key, "': shard_id ", e.shard_id, " but the checkpoint has ", shards_.size(),
         " shards");
  }
  const Shard& shard = shards_[static_cast<std::size_t>(e.shard_id)];
  if (e.offset < 0 || e.size < 0 || static_cast<std::uint64_t>(e.offset) > shard.size ||
      static_cast<std::uint64_t>(e.size) > shard.size - static_cast<std::uint64_t>(e.offset)) {
    fail_in(kFormat, shard.path, "tensor '", key, "': bytes [", e.offset, ", ", e.offset, " + ",
            e.size, ") lie outside the shard's ", shard.size, " bytes (truncated or corrupt)");
  }
  if (shard.in_memory) {
    return shard.bytes.substr(static_cast<std::size_t>(e.offset), static_cast<std::size_t>(e.size));
  }
  std::ifstream in(shard.path, std::ios::binary);
  if (!in) fail_in(kFormat, shard.path, "cannot open the data shard for reading");
  std::string bytes(static_cast<std::size_t>(e.size), '\0');  // checked against the real size
  in.seekg(static_cast<std::streamoff>(e.offset));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    fail_in(kFormat, shard.path, "tensor '", key, "': read ", in.gcount(), " of ", e.size, " bytes");
  }
  return bytes;
}

inline std::uint64_t TFCheckpoint::element_count(const std::string& key,
                                                 const detail::BundleEntry& e) const {
  if (e.unknown_rank) fail("tensor '", key, "': the shape has an unknown rank");
  detail::ElementCounter counter;
  for (const std::int64_t d : e.shape) {
    if (d < 0) fail("tensor '", key, "': negative dimension ", d, " in shape ", seq2seq::detail::dims_string(e.shape));
    if (!counter.add(static_cast<std::uint64_t>(d))) fail("tensor '", key, "': the element count overflows int64");
  }
  return counter.count();
}

inline std::string TFCheckpoint::read_numeric(const std::string& key, const detail::BundleEntry& e,
                                              const detail::TFDType& type, std::uint64_t count) const {
  const std::size_t size = type.info->size;
  if (e.size < 0 || count > static_cast<std::uint64_t>(e.size) / size ||
      count * size != static_cast<std::uint64_t>(e.size)) {
    fail("tensor '", key, "': shape ", seq2seq::detail::dims_string(e.shape), " of ", type.name,
         " needs ", count, " x ", size, " bytes but the entry has ", e.size);
  }
  std::string bytes = read_bytes(key, e);
  const std::uint32_t crc = detail::crc32c_extend(0, bytes.data(), bytes.size());
  if (crc != detail::crc32c_unmask(e.crc32c)) {
    fail_in(kFormat, shards_[static_cast<std::size_t>(e.shard_id)].path, "tensor '", key,
            "': checksum mismatch (crc32c of the bytes ", crc, ", the index says ",
            detail::crc32c_unmask(e.crc32c), "): corrupt data");
  }
  return bytes;
}

inline void TFCheckpoint::add_tensor(const std::string& key, const detail::BundleEntry& e) {
  const std::uint64_t count = element_count(key, e);
  const detail::TFDType* type = detail::find_tf_dtype(e.dtype);
  if (type == nullptr) {
    add_unreadable(key, "dtype enum " + std::to_string(e.dtype) + " is not supported");
    return;
  }
  if (type->kind == detail::TFDType::Kind::Other) {
    add_unreadable(key, std::string(type->name) + " tensor");
    return;
  }
  if (type->kind == detail::TFDType::Kind::String) {
    const std::string bytes = read_bytes(key, e);
    strings_[key] = detail::decode_string_tensor(
        bytes, count, e.crc32c, key, shards_[static_cast<std::size_t>(e.shard_id)].path);
    add_unreadable(key, "string tensor (read it with strings())");
    return;
  }
  Entry entry{type->info, e.shape, count, add_block(read_numeric(key, e, *type, count)), 0};
  add_entry(key, std::move(entry));
}

inline void TFCheckpoint::assemble(const std::string& key, const detail::BundleEntry& e,
                                   const std::map<std::string, detail::BundleEntry>& slices) {
  const std::uint64_t count = element_count(key, e);
  const detail::TFDType* type = detail::find_tf_dtype(e.dtype);
  if (type == nullptr || type->kind != detail::TFDType::Kind::Numeric) {
    add_unreadable(key, "a partitioned variable of a dtype that is not assembled (only numeric ones are)");
    return;
  }
  const std::size_t rank = e.shape.size(), size = type->info->size;
  struct Part {
    std::vector<std::int64_t> start, length;
    const detail::BundleEntry* entry;
    std::uint64_t volume;
  };
  std::vector<Part> parts;
  std::uint64_t covered = 0;
  for (const auto& extents : e.slices) {
    const std::string what = "partitioned variable '" + key + "', slice " + std::to_string(parts.size());
    if (extents.size() != rank || rank == 0) fail(what, ": ", extents.size(), " extents for rank ", rank);
    Part part{{}, {}, nullptr, 1};
    for (std::size_t d = 0; d < rank; ++d) {
      const auto [start, length] = extents[d];
      const std::int64_t l = length == -1 ? e.shape[d] : length;
      if (start < 0 || l < 0 || (length == -1 && start != 0) || start > e.shape[d] || l > e.shape[d] - start) {
        fail(what, ": extent (", start, ", ", length, ") outside dimension ", d, " of shape ",
             seq2seq::detail::dims_string(e.shape));
      }
      part.start.push_back(start);
      part.length.push_back(l);
      part.volume *= static_cast<std::uint64_t>(l);  // <= count: inside the shape
    }
    const auto it = slices.find(detail::tensor_slice_key(key, extents));
    if (it == slices.end()) fail(what, " ", seq2seq::detail::dims_string(part.length), " is missing from the index");
    if (it->second.dtype != e.dtype || it->second.shape != part.length) {
      fail(what, ": the slice's entry has dtype enum ", it->second.dtype, " and shape ",
           seq2seq::detail::dims_string(it->second.shape), ", expected ", type->name, " ",
           seq2seq::detail::dims_string(part.length));
    }
    part.entry = &it->second;
    covered += part.volume;
    if (covered > count) fail("partitioned variable '", key, "': its slices hold more than its ", count, " elements");
    parts.push_back(std::move(part));
  }
  if (covered != count) fail("partitioned variable '", key, "': its slices hold ", covered, " of its ", count, " elements");
  std::uint64_t data = 0;
  for (const auto& shard : shards_) data += shard.size;
  if (count > data / size) fail("partitioned variable '", key, "': larger than the checkpoint's data");
  // The whole variable, now that its size is backed by data; each slice copied in row by row.
  std::string whole(static_cast<std::size_t>(count * size), '\0');
  std::vector<bool> written(static_cast<std::size_t>(count), false);
  for (const auto& part : parts) {
    const std::string bytes = read_numeric(key + "' slice '" + seq2seq::detail::dims_string(part.start),
                                           *part.entry, *type, part.volume);
    const auto row = static_cast<std::size_t>(part.length[rank - 1]);
    std::vector<std::int64_t> index(rank, 0);  // position within the slice, last dimension 0
    for (std::uint64_t r = 0; row != 0 && r < part.volume / row; ++r) {
      std::uint64_t at = 0;  // flat position in the whole variable
      for (std::size_t d = 0; d < rank; ++d) {
        at = at * static_cast<std::uint64_t>(e.shape[d]) + static_cast<std::uint64_t>(part.start[d] + index[d]);
      }
      for (std::size_t i = 0; i < row; ++i) {
        if (written[at + i]) fail("partitioned variable '", key, "': slices overlap");
        written[at + i] = true;
      }
      std::memcpy(&whole[static_cast<std::size_t>(at) * size], &bytes[static_cast<std::size_t>(r) * row * size], row * size);
      for (std::size_t d = rank - 1; d-- > 0;) {  // next row: carry over the outer dimensions
        if (++index[d] < part.length[d]) break;
        index[d] = 0;
      }
    }
  }
  Entry entry{type->info, e.shape, count, add_block(std::move(whole)), 0};
  add_entry(key, std::move(entry));
}

inline void TFCheckpoint::read_object_graph() {
  const auto it = strings_.find("_CHECKPOINTABLE_OBJECT_GRAPH");
  if (it == strings_.end()) return;
  if (it->second.size() != 1) fail("_CHECKPOINTABLE_OBJECT_GRAPH: expected one string");
  object_based_ = true;
  const detail::ObjectGraph graph = detail::parse_object_graph(it->second.front(), name());
  std::set<std::int64_t> slots;
  for (const auto& node : graph.nodes) {
    for (const std::int64_t id : node.slot_variable_ids) slots.insert(id);
  }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& attr : graph.nodes[i].attributes) {
      if (attr.name != "VARIABLE_VALUE" || attr.full_name.empty()) continue;
      if (!entries().count(attr.checkpoint_key) && !unreadable().count(attr.checkpoint_key)) {
        fail("object graph: variable '", attr.full_name, "' refers to key '", attr.checkpoint_key,
             "', which the checkpoint does not hold");
      }
      const bool slot = slots.count(static_cast<std::int64_t>(i)) != 0 ||
                        attr.checkpoint_key.rfind("optimizer/", 0) == 0 ||
                        attr.checkpoint_key.find("/.OPTIMIZER_SLOT/") != std::string::npos;
      if (slot) training_names_.insert(attr.full_name);
      variables_[attr.full_name] = attr.checkpoint_key;
      // The TF name becomes a second name of the same tensor, unless a key already has it.
      if (entries().count(attr.full_name) || unreadable().count(attr.full_name)) continue;
      const auto entry = entries().find(attr.checkpoint_key);
      if (entry != entries().end()) {
        Entry alias = entry->second;
        add_entry(attr.full_name, std::move(alias));
      } else {
        add_unreadable(attr.full_name, unreadable().at(attr.checkpoint_key));
      }
    }
  }
}

inline std::vector<std::string> TFCheckpoint::strings(const std::string& tensor_name) const {
  const auto it = strings_.find(tensor_name);
  if (it != strings_.end()) return it->second;
  if (contains(tensor_name)) fail("tensor '", tensor_name, "': expected a string tensor but found ", dtype(tensor_name));
  const auto un = unreadable().find(tensor_name);
  if (un != unreadable().end()) fail("tensor '", tensor_name, "': expected a string tensor but it is ", un->second);
  fail("no tensor named '", tensor_name, "'");
}

inline bool TFCheckpoint::is_training_state(const std::string& tensor_name) const {
  return training_names_.count(tensor_name) != 0 || detail::is_training_state_name(tensor_name);
}

}  // namespace seq2seq::io
