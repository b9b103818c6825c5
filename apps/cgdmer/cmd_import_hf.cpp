// `cgdmer import-hf DIR --out FILE.safetensors`: converts a Hugging Face BERT folder
// (MedCPT-Query-Encoder, bert-base-uncased, ...) into a cgdmer text-encoder weights file after
// checking that every tensor fits BertModel. The output's keys are "text_encoder.<HF name>";
// `--set text.hf_weights=` accepts either the output file or the original folder.
#include <cstdio>
#include <string>

#include "command.h"
#include "model/bert.h"

namespace cgdmer::cli::cmd_import_hf {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct ImportHfArgs {
  std::string dir, out;
};

int run_import_hf(const ImportHfArgs& a) {
  const auto s = import_hf_bert(a.dir, a.out);
  const auto& c = s.config;
  std::printf("read %s\n", s.weights_file.c_str());
  std::printf("BERT: vocab %d, hidden %d, %d layers, %d heads, intermediate %d, max positions %d\n",
              c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
              c.intermediate_size, c.max_position_embeddings);
  if (s.vocab_entries >= 0) std::printf("vocab.txt: %lld tokens\n", (long long)s.vocab_entries);
  std::printf("wrote %s: %zu tensors, %lld parameters (keys text_encoder.<HF name>)\n",
              a.out.c_str(), s.tensors, (long long)s.parameters);
  std::printf("use it with: --set text.hf_weights=%s\n", a.out.c_str());
  return 0;
}

RegisterCommand reg{{"import-hf",
                     "check a Hugging Face BERT folder and convert it to cgdmer text-encoder weights",
                     80, [](CLI::App& app) -> Runner {
                       auto args = std::make_shared<ImportHfArgs>();
                       app.add_option("dir", args->dir,
                                      "Hugging Face model folder (config.json, model.safetensors, vocab.txt)")
                           ->required();
                       app.add_option("--out", args->out, "output .safetensors file")->required();
                       return [args] { return run_import_hf(*args); };
                     }}};

}  // namespace
}  // namespace cgdmer::cli::cmd_import_hf
