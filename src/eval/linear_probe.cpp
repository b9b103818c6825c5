// Linear probing with hand-written BCE gradient and Adam (see linear_probe.h).
#include "eval/linear_probe.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace cgdmer {

std::vector<double> to_doubles(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<std::uint8_t> to_bytes(const torch::Tensor& t) {
  auto c = (t.detach().to(torch::kCPU) > 0.5).to(torch::kUInt8).contiguous();
  return std::vector<std::uint8_t>(c.data_ptr<std::uint8_t>(),
                                   c.data_ptr<std::uint8_t>() + c.numel());
}

double merl_probe_lr(double base_lr, std::int64_t scheduler_steps) {
  return scheduler_steps >= 40 ? base_lr * 0.1 : base_lr;
}

ProbeProtocol parse_probe_protocol(const std::string& text) {
  if (text == "honest") return ProbeProtocol::honest;
  if (text == "merl") return ProbeProtocol::merl;
  throw ConfigError("probe protocol must be 'honest' or 'merl', not '" + text + "'");
}

const char* probe_protocol_name(ProbeProtocol p) {
  return p == ProbeProtocol::merl ? "merl" : "honest";
}

int select_epoch(const std::vector<ProbeEpoch>& history, ProbeProtocol protocol) {
  int best = -1;
  double best_v = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < history.size(); ++i) {
    const double v = protocol == ProbeProtocol::honest ? history[i].val_auc : history[i].test_auc;
    if (std::isfinite(v) && v > best_v) {
      best_v = v;
      best = int(i);
    }
  }
  return best < 0 ? int(history.size()) - 1 : best;
}

namespace {

void check_split(const ProbeSplit& s, const char* name, std::int64_t D, std::int64_t C) {
  if (!s.features.defined() || s.features.dim() != 2 || !s.labels.defined() ||
      s.labels.dim() != 2 || s.features.size(0) != s.labels.size(0))
    throw ConfigError(std::string("linear probe: ") + name +
                      " split needs features (N, D) and labels (N, C) with equal N");
  if ((D >= 0 && s.features.size(1) != D) || (C >= 0 && s.labels.size(1) != C))
    throw ConfigError(std::string("linear probe: ") + name +
                      " split has another feature or class count than train");
}

double macro_auc_of(const torch::Tensor& logits, const torch::Tensor& labels, int C,
                    MultiLabelAuc* detail = nullptr) {
  auto r = macro_roc_auc(to_doubles(logits), to_bytes(labels), C);
  if (detail) *detail = r;
  return r.macro;
}

}  // namespace

ProbeResult linear_probe(const ProbeSplit& train, const ProbeSplit& val, const ProbeSplit& test,
                         const ProbeOptions& opt) {
  torch::NoGradGuard no_grad;
  check_split(train, "train", -1, -1);
  const std::int64_t N = train.features.size(0), D = train.features.size(1);
  const std::int64_t C = train.labels.size(1);
  check_split(val, "validation", D, C);
  check_split(test, "test", D, C);
  if (N == 0) throw ConfigError("linear probe: empty training split");
  if (opt.epochs <= 0 || opt.batch_size <= 0)
    throw ConfigError("linear probe: epochs and batch size must be positive");

  const auto Xtr = train.features.to(torch::kFloat32).contiguous();
  const auto Ytr = train.labels.to(torch::kFloat32).contiguous();
  const auto Xva = val.features.to(torch::kFloat32), Xte = test.features.to(torch::kFloat32);

  // nn.Linear's default init: U(-1/sqrt(D), 1/sqrt(D)) for weight and bias.
  auto gen = at::detail::createCPUGenerator(opt.seed);
  const double bound = 1.0 / std::sqrt(double(D));
  auto W = torch::rand({C, D}, gen, torch::kFloat32) * (2 * bound) - bound;  // (C, D)
  auto b = torch::rand({C}, gen, torch::kFloat32) * (2 * bound) - bound;      // (C)
  auto mW = torch::zeros_like(W), vW = torch::zeros_like(W);
  auto mb = torch::zeros_like(b), vb = torch::zeros_like(b);
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::int64_t adam_t = 0, sched_steps = 0;
  const bool merl = opt.protocol == ProbeProtocol::merl;

  ProbeResult res;
  res.protocol = opt.protocol;
  std::vector<torch::Tensor> val_logits_per_epoch, test_logits_per_epoch;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto perm = torch::randperm(N, gen, torch::kLong);
    double loss_sum = 0;
    int batches = 0;
    double lr = opt.lr;
    for (std::int64_t s = 0; s < N; s += opt.batch_size) {
      lr = merl ? merl_probe_lr(opt.lr, sched_steps) : opt.lr;
      const auto idx = perm.slice(0, s, std::min(N, s + opt.batch_size));
      const auto x = Xtr.index_select(0, idx), y = Ytr.index_select(0, idx);  // (B, D), (B, C)
      const auto z = torch::addmm(b, x, W.t());                                // (B, C) logits
      // BCEWithLogits, mean over B·C: loss = mean(softplus(z) − y·z); dL/dz = (σ(z) − y)/(B·C).
      loss_sum += (torch::softplus(z) - y * z).mean().item<double>();
      const auto dz = (torch::sigmoid(z) - y) / double(z.numel());
      auto gW = dz.t().mm(x), gb = dz.sum(0);
      // torch.optim.Adam with weight_decay: L2 term added to the gradient.
      gW.add_(W, opt.weight_decay);
      gb.add_(b, opt.weight_decay);
      ++adam_t;
      const double bc1 = 1 - std::pow(beta1, double(adam_t));
      const double bc2 = 1 - std::pow(beta2, double(adam_t));
      mW.mul_(beta1).add_(gW, 1 - beta1);
      vW.mul_(beta2).addcmul_(gW, gW, 1 - beta2);
      mb.mul_(beta1).add_(gb, 1 - beta1);
      vb.mul_(beta2).addcmul_(gb, gb, 1 - beta2);
      W.addcdiv_(mW, (vW / bc2).sqrt_().add_(eps), -lr / bc1);
      b.addcdiv_(mb, (vb / bc2).sqrt_().add_(eps), -lr / bc1);
      ++batches;
      ++sched_steps;  // MERL: scheduler.step() after every batch ...
    }
    ++sched_steps;    // ... and again after every epoch
    ProbeEpoch e;
    e.epoch = epoch;
    e.train_loss = loss_sum / batches;
    e.lr = merl ? merl_probe_lr(opt.lr, sched_steps) : opt.lr;
    const auto val_logits = torch::addmm(b, Xva, W.t());
    const auto test_logits = torch::addmm(b, Xte, W.t());
    e.val_auc = val.features.size(0) ? macro_auc_of(val_logits, val.labels, int(C))
                                     : std::nan("");
    e.test_auc = macro_auc_of(test_logits, test.labels, int(C));
    res.history.push_back(e);
    if (opt.keep_scores) val_logits_per_epoch.push_back(val_logits);
    test_logits_per_epoch.push_back(test_logits);
  }
  const int k = select_epoch(res.history, opt.protocol);
  res.chosen_epoch = res.history[k].epoch;
  res.val_auc = res.history[k].val_auc;
  res.test_auc = macro_auc_of(test_logits_per_epoch[k], test.labels, int(C), &res.test_detail);
  if (opt.keep_scores) {
    res.test_scores = to_doubles(test_logits_per_epoch[k]);
    res.val_scores = to_doubles(val_logits_per_epoch[k]);
  }
  return res;
}

}  // namespace cgdmer
