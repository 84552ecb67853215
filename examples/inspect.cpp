// seq2seq-inspect: what is in a weight file, and what this library can build from it — like
// TensorFlow's inspect_checkpoint, without TensorFlow.
//
//   seq2seq-inspect FILE [--case CASE.safetensors]
//
// FILE is a TensorFlow checkpoint (its prefix, its .index file, or a SavedModel directory), a
// .safetensors or an .npz file. Prints every tensor (name, dtype, shape, bytes; for TF2
// checkpoints the variable's TensorFlow name with its checkpoint key), which naming the file
// uses, and each cell and mechanism the io:: builders can make from it, with the call that makes
// it — each one actually built, or the builder's error. With --case, it then builds the layer a
// case names (tools/export/write_case.py) from FILE, runs it on the case's inputs and prints the
// largest difference from TensorFlow's outputs. Exit status 0; 1 on an unreadable file (the
// error on stderr) or a case that does not match; 2 on bad usage.
#include <seq2seq/io/case_check.hpp>
#include <seq2seq/io/keras.hpp>
#include <seq2seq/io/npz.hpp>
#include <seq2seq/io/pytorch.hpp>
#include <seq2seq/io/safetensors.hpp>
#include <seq2seq/io/tf1.hpp>
#include <seq2seq/io/tf_checkpoint.hpp>
#include <seq2seq/io/tfa.hpp>

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using seq2seq::Index;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string scope_of(const std::string& name, const std::string& suffix) {
  return name.substr(0, name.size() - suffix.size());
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// Bytes of a tensor: elements times the dtype's size.
std::uint64_t bytes_of(const std::string& dtype, const std::vector<std::int64_t>& shape) {
  const auto* info = seq2seq::io::detail::find_dtype(dtype);
  std::uint64_t n = info ? info->size : 0;
  for (const auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

/// One build attempt: the call a user would write, and what it gave.
struct Candidate {
  std::string call;
  std::function<std::string()> build;  // a description of what was built; throws on failure
};

template <class File>
std::vector<Candidate> candidates(const File& file) {
  namespace io = seq2seq::io;
  std::vector<Candidate> out;
  std::set<std::string> names;
  for (const auto& n : file.names()) names.insert(n);
  const auto has = [&](const std::string& n) { return names.count(n) != 0; };
  const auto cols = [&](const std::string& n) { return file.shape(n).size() == 2 ? file.shape(n)[1] : -1; };
  const auto rows = [&](const std::string& n) { return file.shape(n).size() == 2 ? file.shape(n)[0] : -1; };
  const auto describe_cell = [](const auto& cell, const char* kind) {
    std::ostringstream s;
    s << kind << ", " << cell.output_size() << " units, input size " << cell.input_size();
    return s.str();
  };
  // Captures only `file` (the build functions run after this function returns).
  const auto memory_for = [&file](const std::string& kernel) {
    const auto& shape = file.shape(kernel);
    const Index depth = shape.size() == 2 ? static_cast<Index>(shape[0]) : 0;
    return seq2seq::Tensor3<float>(1, 1, depth).setZero();
  };
  // A Bahdanau mechanism in one of three namings (tf1, keras, tfa: see io/tfa.hpp), over a memory
  // of the depth its memory layer `memory_kernel` takes; `other` is the builder's last argument.
  const auto add_bahdanau = [&](const std::string& naming, const std::string& scope,
                                const std::string& other, const std::string& memory_kernel) {
    out.push_back({"io::" + naming + "::bahdanau_attention<float>(file, memory, {}, " + quoted(scope) + ", " +
                       quoted(other) + ")",
                   [&file, naming, scope, other, memory_kernel, memory_for] {
                     const auto memory = memory_for(memory_kernel);
                     const auto a =
                         naming == "tfa"     ? io::tfa::bahdanau_attention<float>(file, memory, {}, scope, other)
                         : naming == "keras" ? io::keras::bahdanau_attention<float>(file, memory, {}, scope, other)
                                             : io::tf1::bahdanau_attention<float>(file, memory, {}, scope, other);
                     return "Bahdanau attention, " + std::to_string(a.num_units()) + " units" +
                            (a.normalize() ? ", normalized" : "");
                   }});
  };
  for (const auto& n : names) {
    if (ends_with(n, "/gates/kernel") && has(scope_of(n, "/gates/kernel") + "/candidate/kernel")) {
      const std::string scope = scope_of(n, "/gates/kernel");
      out.push_back({"io::tf1::gru_cell<float>(file, " + quoted(scope) + ")", [&file, scope, describe_cell] {
                       return describe_cell(io::tf1::gru_cell<float>(file, scope), "GRU (TF 1.x)");
                     }});
    } else if (ends_with(n, "/recurrent_kernel") && has(scope_of(n, "/recurrent_kernel") + "/kernel")) {
      const std::string scope = scope_of(n, "/recurrent_kernel");
      if (rows(n) > 0 && cols(n) == 3 * rows(n)) {
        out.push_back({"io::keras::gru_cell<float>(file, " + quoted(scope) + ")", [&file, scope, describe_cell] {
                         const auto cell = io::keras::gru_cell<float>(file, scope);
                         return describe_cell(cell, cell.reset_after() ? "GRU (Keras, reset_after)" : "GRU (Keras)");
                       }});
      } else if (rows(n) > 0 && cols(n) == 4 * rows(n)) {
        out.push_back({"io::keras::lstm_cell<float>(file, " + quoted(scope) + ")", [&file, scope, describe_cell] {
                         return describe_cell(io::keras::lstm_cell<float>(file, scope), "LSTM (Keras)");
                       }});
      }
    } else if (ends_with(n, "lstm_cell/kernel") && has(scope_of(n, "/kernel") + "/bias") &&
               !has(scope_of(n, "/kernel") + "/recurrent_kernel")) {
      const std::string scope = scope_of(n, "/kernel");
      out.push_back({"io::tf1::lstm_cell<float>(file, " + quoted(scope) + ")", [&file, scope, describe_cell] {
                       return describe_cell(io::tf1::lstm_cell<float>(file, scope), "LSTM (TF 1.x)");
                     }});
    } else if (ends_with(n, "/query_layer/kernel") && has(scope_of(n, "/query_layer/kernel") + "/attention_v")) {
      const std::string scope = scope_of(n, "/query_layer/kernel");
      for (const auto& m : names) {
        if (ends_with(m, "memory_layer/kernel")) add_bahdanau("tf1", scope, scope_of(m, "/kernel"), m);
      }
    } else if (ends_with(n, "/attention_v") && has(scope_of(n, "/attention_v") + "/kernel")) {
      const std::string scope = scope_of(n, "/attention_v");
      const std::string mechanism = scope.substr(scope.rfind('/') + 1);
      bool graph = false;
      // TensorFlow Addons in a graph: <scope>/kernel is the memory layer, the query layer is
      // <wrapper>/<mechanism>/kernel.
      for (const auto& m : names) {
        if (m != scope + "/kernel" && ends_with(m, "/" + mechanism + "/kernel") &&
            m.find("attention_wrapper") != std::string::npos) {
          add_bahdanau("tfa", scope, scope_of(m, "/" + mechanism + "/kernel"), scope + "/kernel");
          graph = true;
        }
      }
      // TensorFlow Addons in Keras: <scope>/kernel is the query layer, the memory layer
      // .../memory_layer/kernel.
      for (const auto& m : names) {
        if (!graph && ends_with(m, "memory_layer/kernel")) add_bahdanau("keras", scope, scope_of(m, "/kernel"), m);
      }
    } else if (n.rfind("weight_ih_l", 0) != std::string::npos || n.find(".weight_ih_l") != std::string::npos) {
      const auto at = n.find("weight_ih_l");
      const std::string prefix = n.substr(0, at);
      std::string rest = n.substr(at + 11);
      const bool reverse = ends_with(rest, "_reverse");
      if (reverse) rest = rest.substr(0, rest.size() - 8);
      if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) continue;
      const int layer = std::stoi(rest);
      const std::string hh = prefix + "weight_hh_l" + n.substr(at + 11);
      if (!has(hh) || cols(hh) <= 0) continue;
      const std::string args = "(file, " + std::to_string(layer) + ", " + (reverse ? "true" : "false") +
                               (prefix.empty() ? "" : ", " + quoted(prefix)) + ")";
      if (rows(hh) == 3 * cols(hh)) {
        out.push_back({"io::pytorch::gru_cell<float>" + args, [&file, layer, reverse, prefix, describe_cell] {
                         return describe_cell(io::pytorch::gru_cell<float>(file, layer, reverse, prefix), "GRU (PyTorch)");
                       }});
      } else if (rows(hh) == 4 * cols(hh)) {
        out.push_back({"io::pytorch::lstm_cell<float>" + args, [&file, layer, reverse, prefix, describe_cell] {
                         return describe_cell(io::pytorch::lstm_cell<float>(file, layer, reverse, prefix), "LSTM (PyTorch)");
                       }});
      }
    }
  }
  for (const auto& n : names) {
    if (!ends_with(n, "/attention_layer/kernel")) continue;
    const std::string scope = scope_of(n, "/attention_layer/kernel");
    out.push_back({"io::tf1::attention_wrapper_config<float>(file, " + quoted(scope) + ")", [&file, scope] {
                     const auto c = io::tf1::attention_wrapper_config<float>(file, scope);
                     return "AttentionWrapper config, attention layer of " +
                            std::to_string(c.attention_layer_size.value_or(0)) + " units";
                   }});
  }
  return out;
}

/// Which framework's names the file uses, from the names that only one of them writes.
template <class File>
std::string naming(const File& file) {
  std::vector<std::string> found;
  bool tf1 = false, tfa = false, keras = false, torch = false, tf2 = false;
  for (const auto& n : file.names()) {
    tf1 |= ends_with(n, "/gates/kernel") || ends_with(n, "/query_layer/kernel") || ends_with(n, "memory_layer/kernel");
    tfa |= n.rfind("BahdanauAttention/kernel", 0) == 0 || n.rfind("LuongAttention/kernel", 0) == 0;
    keras |= ends_with(n, "/recurrent_kernel");
    torch |= n.find("weight_ih_l") != std::string::npos;
    tf2 |= ends_with(n, "/.ATTRIBUTES/VARIABLE_VALUE");
  }
  if (tf1) found.push_back("TF 1.x (tf.contrib.seq2seq / tf.compat.v1 cells)");
  if (tfa) found.push_back("TensorFlow Addons in a tf.compat.v1 graph (BahdanauAttention/kernel)");
  if (keras) found.push_back("Keras cells (kernel, recurrent_kernel)");
  if (torch) found.push_back("PyTorch (weight_ih_l<k>)");
  if (tf2) found.push_back("TF2 object-based keys (.ATTRIBUTES/VARIABLE_VALUE)");
  if (found.empty()) return "none this library recognises";
  std::string out;
  for (const auto& f : found) out += (out.empty() ? "" : "; ") + f;
  return out;
}

template <class File>
void print_tensors(const File& file, const std::function<std::string(const std::string&)>& note) {
  std::printf("%-60s %-5s %-16s %12s  %s\n", "name", "dtype", "shape", "bytes", "");
  std::uint64_t total = 0;
  for (const auto& n : file.names()) {
    const std::string extra = note(n);
    if (extra == "-") continue;  // listed under another name
    const auto& shape = file.shape(n);
    const std::uint64_t bytes = bytes_of(file.dtype(n), shape);
    total += bytes;
    std::printf("%-60s %-5s %-16s %12llu  %s\n", n.c_str(), file.dtype(n).c_str(),
                seq2seq::detail::dims_string(shape).c_str(), static_cast<unsigned long long>(bytes),
                extra.c_str());
  }
  std::printf("total %llu bytes\n", static_cast<unsigned long long>(total));
}

template <class File>
void print_builders(const File& file) {
  std::printf("\nnaming: %s\n", naming(file).c_str());
  const auto list = candidates(file);
  std::printf("\nwhat io:: can build from it (%zu):\n", list.size());
  for (const auto& c : list) {
    try {
      std::printf("  %s\n      ok: %s\n", c.call.c_str(), c.build().c_str());
    } catch (const seq2seq::Error& e) {
      std::printf("  %s\n      error: %s\n", c.call.c_str(), e.what());
    }
  }
}

int usage(std::FILE* to, int status) {
  std::fprintf(to,
               "usage: seq2seq-inspect FILE [--case CASE.safetensors]\n"
               "  FILE: a TensorFlow checkpoint (prefix, .index file or SavedModel directory),\n"
               "        a .safetensors or an .npz file\n"
               "  --case: check the layer the case names, built from FILE, against the outputs\n"
               "        TensorFlow computed (tools/export/write_case.py writes cases)\n");
  return status;
}

/// The --case report; 0 if the layer matches TensorFlow within the float tolerance, else 1.
template <class File>
int check(const File& file, const std::string& case_path) {
  const auto c = seq2seq::io::SafetensorsFile::load(case_path);
  const auto r = seq2seq::io::check_case(file, c);
  const bool ok = r.matches(1e-5);
  std::printf("\ncase %s: io::%s<float>(file, \"%s\") on inputs %s\n"
              "  %lld values; largest error %.3g (|ours - TensorFlow| / max(1, |TensorFlow|), element %lld), "
              "largest absolute %.3g: %s\n",
              case_path.c_str(), r.builder.c_str(), r.scope.c_str(),
              seq2seq::detail::dims_string(c.shape("inputs")).c_str(), static_cast<long long>(r.values), r.max_error,
              static_cast<long long>(r.worst), r.max_abs_error,
              ok ? "matches (tolerance 1e-05)" : "DOES NOT MATCH (tolerance 1e-05)");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) return usage(stdout, 0);
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--case")) return usage(stderr, 2);
  const std::string path = argv[1];
  const std::string case_path = argc == 4 ? argv[3] : "";
  try {
    if (ends_with(path, ".safetensors") || ends_with(path, ".npz")) {
      const bool npz = ends_with(path, ".npz");
      const auto show = [&](const auto& file, const char* kind) {
        std::printf("%s: %s, %zu tensors\n\n", file.name().c_str(), kind, file.names().size());
        print_tensors(file, [](const std::string&) { return std::string(); });
        print_builders(file);
        return case_path.empty() ? 0 : check(file, case_path);
      };
      return npz ? show(seq2seq::io::NpzFile::load(path), "NumPy .npz")
                 : show(seq2seq::io::SafetensorsFile::load(path), "safetensors");
    }
    const auto ckpt = seq2seq::io::TFCheckpoint::load(path);
    std::printf("%s: TensorFlow checkpoint (%s), prefix %s\n\n", path.c_str(),
                ckpt.object_based() ? "TF2 object-based" : "TF 1.x Saver", ckpt.prefix().c_str());
    std::set<std::string> keys_with_names;
    for (const auto& [name, key] : ckpt.variables()) keys_with_names.insert(key);
    print_tensors(ckpt, [&](const std::string& n) -> std::string {
      if (keys_with_names.count(n)) return "-";
      std::string note;
      if (ckpt.variables().count(n)) note = "key " + ckpt.variables().at(n);
      if (ckpt.is_training_state(n)) note += note.empty() ? "training state" : "; training state";
      return note;
    });
    for (const auto& [name, why] : ckpt.unreadable()) std::printf("%-60s (%s)\n", name.c_str(), why.c_str());
    print_builders(ckpt);
    if (!case_path.empty()) return check(ckpt, case_path);
  } catch (const seq2seq::Error& e) {
    std::fprintf(stderr, "seq2seq-inspect: %s\n", e.what());
    return 1;
  }
  return 0;
}
