// `cgdmer plot`: one ECG drawn as clinicians read it (plot/ecg_plot.h: 3×4 + lead II rhythm
// strip, 25 mm/s, 10 mm/mV, red grid) to PNG or PDF, from a record file (mV as read) or a
// store row (min–max scaled: arbitrary units), optionally with a model's MAE reconstruction
// or a prompt's saliency (serve/ecg_overlays.h). Flags → EcgPlotData here; no drawing logic.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>

#include "command.h"
#include "core/error.h"
#include "core/paths.h"
#include "data/shard_store.h"
#include "eval/zero_shot.h"
#include "io/ecg_readers.h"
#include "model/text_tokenizer.h"
#include "plot/ecg_plot.h"
#include "serve/ecg_overlays.h"
#include "serve/serving_model.h"

namespace cgdmer::cli::cmd_plot {  // one namespace per command: apps/cgdmer builds as a unity build
namespace {

struct PlotFlags {
  std::string record, store, id, out, model, saliency, class_key, prompts;
  long long row = -1;
  double dpi = 150, au_gain = 20;
  RecordReadOptions read;  // --csv-fs / --csv-uv
  bool reconstruct = false;
  std::uint64_t seed = 0;
};

std::string shorten(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "…"; }

std::string fmt(const char* f, double v) {
  char b[512];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Model-input scale (a.u.) leads from an (L, S) [0,1] array; `present` empty = all.
void model_input_leads(EcgPlotData& d, const std::vector<std::string>& names, const std::vector<float>& x, int S,
                       const std::vector<int>& present) {
  for (int l = 0; l < int(names.size()); ++l) {
    if (!present.empty() && std::find(present.begin(), present.end(), l) == present.end()) continue;
    EcgPlotLead lead;
    lead.name = names[l];
    lead.values.assign(x.begin() + std::size_t(l) * S, x.begin() + std::size_t(l + 1) * S);
    d.leads.push_back(std::move(lead));
  }
}

int run_plot(const PlotFlags& f) {
  const bool want_sal = !f.saliency.empty() || !f.class_key.empty();
  if (f.record.empty() == f.store.empty()) throw ConfigError("give a record file or --store DIR (one of them)");
  if (!f.store.empty() && (f.row < 0) == f.id.empty()) throw ConfigError("with --store give --row N or --id ID");
  if ((f.reconstruct || want_sal) && f.model.empty())
    throw ConfigError("--reconstruct / --saliency / --class need --model RUN");
  if (!(f.au_gain > 0)) throw ConfigError("--au-gain must be > 0");

  EcgPlotOptions opt;
  opt.dpi = f.dpi;
  EcgPlotData d;
  Config cfg;
  CgDmer model{nullptr};
  std::string contract;  // the model's preprocessing contract (serving_model.h)
  std::optional<ClassifierHead> head;  // a `cgdmer finetune` model's classifier
  if (!f.model.empty()) model = load_serving_model(f.model, &cfg, &contract, &head);  // friendly errors, as classify
  const bool model_scale = !f.store.empty() || f.reconstruct;  // a.u. page
  std::vector<float> x;      // model input (L, S) when a model is given
  std::vector<int> present;  // model lead indices the record holds (empty = all)
  std::vector<std::string> model_leads = mimic_lead_order();

  // --- the signal shown -------------------------------------------------------------------
  if (!f.store.empty()) {
    const ShardStore st = !f.model.empty() ? open_store_for_model(f.store, cfg, contract) : ShardStore::open(f.store);
    std::int64_t row = f.row;
    if (!f.id.empty()) {
      row = -1;
      for (std::int64_t i = 0; i < st.size() && row < 0; ++i)
        if (st.record_id(i) == f.id) row = i;
      if (row < 0) throw ConfigError("no record with id '" + f.id + "' in " + f.store);
    }
    if (row >= st.size())
      throw ConfigError("--row " + std::to_string(row) + " out of range: the store holds " + std::to_string(st.size()));
    const auto& info = st.info();
    x.resize(std::size_t(info.n_leads) * info.n_samples);
    st.read_signal(row, x.data());
    model_leads = info.lead_names;
    d.fs = info.fs;
    d.title = st.record_id(row) + "  (store " + f.store + ", row " + std::to_string(row) + ")";
    model_input_leads(d, model_leads, x, info.n_samples, {});
  } else if (!f.model.empty()) {
    const PreparedRecord rec = prepare_record_for_model(f.record, cfg, contract, f.read);
    x = rec.data;
    present = rec.leads;
    d.title = rec.id + "  (" + f.record + ")";
    if (model_scale) {
      d.fs = serve_preprocess_options(cfg, contract).target_fs;
      model_input_leads(d, model_leads, x, cfg.ecg.n_samples, present);
    }
  }
  if (!model_scale) {  // the record in mV, as read
    const EcgRecord rec = read_any_record(f.record, f.read);
    d.fs = rec.fs;
    d.title = rec.id + "  (" + f.record + ")";
    for (int l = 0; l < rec.n_leads; ++l) {
      EcgPlotLead lead;
      lead.name = rec.lead_names[l];
      lead.values.assign(rec.lead(l), rec.lead(l) + rec.n_samples);
      d.leads.push_back(std::move(lead));
    }
    d.notes.push_back(fmt("Signal in mV as read from the file, %g Hz, no filtering; each lead drawn around its "
                          "median. Leads: ", rec.fs) + std::to_string(rec.n_leads) + ".");
  } else {
    opt.gain_mm_per_unit = f.au_gain;
    opt.cal_units = 10.0 / f.au_gain;  // the pulse stays 10 mm high
    d.units = "a.u.";
    d.notes.push_back("Model-input scale: the record's global min-max mapped to [0, 1] (arbitrary units, " +
                      fmt("%g mm per a.u.", f.au_gain) + fmt(", %g Hz), not mV; each lead drawn around its median.", d.fs));
  }

  // --- overlays -----------------------------------------------------------------------------
  if (f.reconstruct) {
    const auto r = reconstruct_masked(model, x, f.seed);
    for (auto& lead : d.leads) {
      const auto it = std::find(model_leads.begin(), model_leads.end(), lead.name);
      if (it == model_leads.end()) continue;
      const int l = int(it - model_leads.begin());
      lead.overlay.assign(lead.values.size(), NAN);
      lead.shade.assign(r.patches, 0.f);
      for (int p = 0; p < r.patches; ++p) {
        if (!r.mask[std::size_t(l) * r.patches + p]) continue;
        lead.shade[p] = 1.f;
        for (int k = 0; k < r.patch_size; ++k) {
          const std::size_t i = std::size_t(p) * r.patch_size + k;
          lead.overlay[i] = r.reconstruction[std::size_t(l) * r.n_samples + i];
        }
      }
    }
    long masked = 0;
    for (auto m : r.mask) masked += m;
    d.shade_seconds = r.patch_size / d.fs;
    d.shade_style = EcgShadeStyle::kMask;
    d.overlay_label = "MAE reconstruction (masked patches)";
    d.shade_label = "masked patch";
    d.notes.push_back("Reconstruction by " + f.model + ": seed " + std::to_string(f.seed) + ", " +
                      std::to_string(masked / r.n_leads) + " of " + std::to_string(r.patches) +
                      " patches per lead masked (" + fmt("%g s each", r.patch_size / d.fs) +
                      fmt("), masked-patch MSE %.4f a.u.^2", r.loss) +
                      (r.denormalised ? "; per-patch normalised targets de-normalised with the true patch mean/std" : ""));
  }
  if (want_sal) {
    // A classifier's own class (no prompt file asked for): its logit is explained.
    int head_class = -1;
    if (head && !f.class_key.empty() && f.prompts.empty()) {
      const auto it = std::find(head->classes.begin(), head->classes.end(), f.class_key);
      if (it == head->classes.end()) {
        std::string list;
        for (const auto& c : head->classes) list += (list.empty() ? "" : ", ") + c;
        throw ConfigError("--class " + f.class_key + ": the classifier " + f.model + " has no such class",
                          "its classes are " + list + " (or pass --prompts FILE for a zero-shot prompt)");
      }
      head_class = int(it - head->classes.begin());
    }
    std::string prompt = f.saliency;
    if (!f.class_key.empty() && head_class < 0) {
      const std::string file = f.prompts.empty() ? resource_path("assets/prompts/CKEPE_prompt.json") : f.prompts;
      prompt = prompts_for(load_prompts(file), {f.class_key}, file)[0];
    }
    const WordPieceTokenizer tok = text_tokenizer_for(cfg.text);
    const auto s = head_class >= 0 ? classifier_saliency(model, *head, x, present, head_class)
                                   : prompt_saliency(model, tok, x, present, prompt);
    const float mx = std::max(1e-20f, *std::max_element(s.per_patch.begin(), s.per_patch.end()));
    for (auto& lead : d.leads) {
      const auto it = std::find_if(model_leads.begin(), model_leads.end(), [&](const std::string& n) {
        std::string a = n, b = lead.name;
        for (auto& c : a) c = char(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : b) c = char(std::tolower(static_cast<unsigned char>(c)));
        return a == b;
      });
      if (it == model_leads.end()) continue;
      const int l = int(it - model_leads.begin());
      lead.shade.assign(s.per_patch.begin() + std::size_t(l) * s.patches,
                        s.per_patch.begin() + std::size_t(l + 1) * s.patches);
      for (auto& v : lead.shade) v /= mx;
    }
    d.shade_seconds = s.patch_size / serve_rate_hz(cfg);  // patch duration at the model's rate
    d.shade_style = EcgShadeStyle::kHeat;
    d.shade_label = "patch saliency (grad x input), relative to max";
    if (head_class >= 0) {
      std::string note = "Saliency of the classifier's logit " + fmt("%.3f", s.score) + " for class " + f.class_key +
                         " (" + head->task;
      if (head->objective == Objective::multilabel)  // its calibrated probability: sigmoid(z / T)
        note += fmt("; calibrated probability %.3f", 1.0 / (1.0 + std::exp(-s.score / head->temperature)));
      d.notes.push_back(note + ")");
    }
    else
      d.notes.push_back("Saliency of the zero-shot cosine " + fmt("%.3f", s.score) + " for \"" +
                        shorten(f.class_key.empty() ? prompt : f.class_key + ": " + prompt, 110) + "\"");
    d.notes.push_back("per patch (" + fmt("%g s", d.shade_seconds) +
                      "): sum over its samples of |d score/dx * x| on the model input, shaded relative to the "
                      "largest patch; model " + f.model);
  }
  save_ecg_plot(f.out, d, opt);
  std::fprintf(stderr, "wrote %s\n", f.out.c_str());
  return 0;
}

Runner setup(CLI::App& app) {
  auto f = std::make_shared<PlotFlags>();
  app.add_option("record", f->record,
                 "ECG record file (.hea WFDB/Challenge, .mat, MUSE/HL7/Philips .xml, .edf, .dcm, .scp)");
  auto* st = app.add_option("--store", f->store, "shard store folder (instead of a record file)");
  app.add_option("--row", f->row, "store row (0-based)")->needs(st);
  app.add_option("--id", f->id, "store record id (instead of --row)")->needs(st);
  app.add_option("--out", f->out, "output file: .png (raster at --dpi) or .pdf (vector, true mm)")->required();
  app.add_option("--dpi", f->dpi, "PNG resolution; 1 mm = dpi/25.4 px")->default_str("150");
  add_csv_record_options(app, &f->read);
  app.add_option("--au-gain", f->au_gain, "mm per arbitrary unit for min-max scaled (model-input) signals")
      ->default_str("20");
  auto* m = app.add_option("--model", f->model, "checkpoint (.ckpt) or run folder, for the overlays");
  auto* rc = app.add_flag("--reconstruct", f->reconstruct,
                          "overlay the MAE reconstruction of a seeded patch mask (model-input scale)")
                 ->needs(m);
  app.add_option("--seed", f->seed, "mask seed for --reconstruct")->default_str("0");
  auto* sa = app.add_option("--saliency", f->saliency, "prompt text whose zero-shot score is explained")->needs(m);
  auto* cl = app.add_option("--class", f->class_key, "a classifier model's class (its logit is explained), or a class key of the prompt file (e.g. AFIB) instead of --saliency")
                 ->needs(m);
  app.add_option("--prompts", f->prompts, "prompt JSON for --class (default assets/prompts/CKEPE_prompt.json)");
  sa->excludes(cl);
  rc->excludes(sa)->excludes(cl);
  app.footer(
      "Layout: I, II, III | aVR, aVL, aVF | V1-V3 | V4-V6 (each column 2.5 s of the same 10 s) and a 10 s lead II "
      "rhythm strip; 25 mm/s, 10 mm/mV, 1 mm / 5 mm red grid, a 1 mV x 200 ms calibration pulse per row. Leads a "
      "record lacks are labelled 'not recorded'.\n"
      "Scales: a record file is drawn in mV as read. Store rows and --reconstruct are drawn on the model-input scale "
      "(the record's global min-max mapped to [0,1], arbitrary units, --au-gain mm per unit; the pulse is then "
      "10 mm = 10/au-gain units).\n"
      "--reconstruct: the model masks patches as in pretraining (mask ratio of its config, CPU generator seeded "
      "with --seed); the decoder's prediction is drawn in blue over the masked (grey) patches; per-patch "
      "normalised targets (ecg.norm_target) are de-normalised with the true patch mean/std for display.\n"
      "--saliency/--class: gradient x input of the zero-shot score s = cos(f_sh_ecg(x), f_sh_text(prompt)) with "
      "respect to the model input x; a patch's saliency is the sum over its samples of |ds/dx * x|, shaded green "
      "behind the patch relative to the record's largest. See docs/plot.md.");
  return [f]() { return run_plot(*f); };
}

RegisterCommand reg{{"plot", "draw an ECG as a clinical 12-lead page (PNG/PDF), optionally with model overlays", 64,
                     setup}};

}  // namespace
}  // namespace cgdmer::cli::cmd_plot
