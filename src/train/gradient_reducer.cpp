// Implements gradient_reducer.h.
#include "train/gradient_reducer.h"

#include <stdexcept>
#include <string>

namespace cgdmer {

GradientReducer::GradientReducer(Distributed& dist, const std::vector<torch::Tensor>& params,
                                 std::size_t bucket_bytes)
    : dist_(dist), bucket_bytes_(bucket_bytes) {
  for (const auto& p : params)
    if (p.requires_grad()) params_.push_back(p);
  arrived_.assign(params_.size(), false);
  // Reverse order: the last layers' gradients come first in backward.
  std::vector<std::size_t> order;
  for (std::size_t k = params_.size(); k-- > 0;) order.push_back(k);
  build_buckets(order);
  for (std::size_t i = 0; i < params_.size(); ++i)
    hooks_.push_back(params_[i].register_hook(
        [this, i](const torch::Tensor& grad) { on_gradient(i, grad); }));
}

// Consecutive parameters of `order` share a bucket until it reaches bucket_bytes_ or the
// dtype or device changes.
void GradientReducer::build_buckets(const std::vector<std::size_t>& order) {
  buckets_.clear();
  bucket_of_.assign(params_.size(), 0);
  offset_of_.assign(params_.size(), 0);
  std::size_t bytes = 0;
  std::int64_t numel = 0;
  for (std::size_t k : order) {
    const auto& p = params_[k];
    const bool fits = !buckets_.empty() && bytes < bucket_bytes_ &&
                      params_[buckets_.back().members.back()].scalar_type() == p.scalar_type() &&
                      params_[buckets_.back().members.back()].device() == p.device();
    if (!fits) {
      buckets_.emplace_back();
      bytes = 0;
      numel = 0;
    }
    buckets_.back().members.push_back(k);
    bucket_of_[k] = buckets_.size() - 1;
    offset_of_[k] = numel;
    numel += p.numel();
    bytes += std::size_t(p.numel()) * p.element_size();
  }
  // A bucket's size is where its last member ends.
  for (auto& b : buckets_) {
    const std::size_t last = b.members.back();
    b.flat = torch::zeros({offset_of_[last] + params_[last].numel()},
                          params_[last].options().requires_grad(false));
  }
}

// Rank 0's arrival order of the first step (broadcast, so every rank builds the same
// buckets), then the parameters that received no gradient.
void GradientReducer::rebuild_in_arrival_order() {
  if (params_.empty()) return;
  std::vector<std::int64_t> order(params_.size(), -1);
  std::vector<bool> seen(params_.size(), false);
  std::size_t n = 0;
  for (auto i : arrival_order_) order[n++] = std::int64_t(i), seen[i] = true;
  for (std::size_t i = params_.size(); i-- > 0;)
    if (!seen[i]) order[n++] = std::int64_t(i);
  auto t = torch::tensor(order, torch::kInt64);
  if (params_.front().device().is_cuda()) t = t.to(params_.front().device());
  dist_.broadcast({t});
  t = t.cpu().contiguous();
  const std::int64_t* p = t.data_ptr<std::int64_t>();
  build_buckets(std::vector<std::size_t>(p, p + t.numel()));
}

GradientReducer::~GradientReducer() {
  for (std::size_t i = 0; i < hooks_.size(); ++i) params_[i].remove_hook(hooks_[i]);
}

torch::Tensor GradientReducer::slot(std::size_t i) {
  const auto& p = params_[i];
  return buckets_[bucket_of_[i]].flat.narrow(0, offset_of_[i], p.numel()).view(p.sizes());
}

void GradientReducer::arm() {
  for (auto& b : buckets_) {
    b.pending = int(b.members.size());
    b.wait = nullptr;
  }
  arrived_.assign(params_.size(), false);
  next_to_start_ = 0;
  started_early_ = 0;
  armed_ = true;
}

// Runs on autograd's thread, once per parameter per backward, before the gradient is
// accumulated into .grad(): what earlier micro-batches accumulated is added here.
void GradientReducer::on_gradient(std::size_t i, const torch::Tensor& grad) {
  if (!armed_) return;
  if (arrived_[i])
    throw std::logic_error("GradientReducer: parameter " + std::to_string(i) +
                           " received two gradients in one armed backward");
  torch::NoGradGuard ng;
  auto dst = slot(i);
  dst.copy_(grad);
  if (params_[i].grad().defined()) dst.add_(params_[i].grad());
  arrived_[i] = true;
  if (!rebuilt_) arrival_order_.push_back(i);
  if (--buckets_[bucket_of_[i]].pending == 0) {
    const std::size_t before = next_to_start_;
    start_ready_buckets();
    started_early_ += int(next_to_start_ - before);
  }
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].pending == 0) {
    Bucket& b = buckets_[next_to_start_++];
    b.wait = dist_.start_allreduce(b.flat, "gradient all-reduce");
  }
}

void GradientReducer::finish() {
  if (!armed_) throw std::logic_error("GradientReducer::finish() without arm()");
  armed_ = false;
  torch::NoGradGuard ng;
  // Parameters that took no part in this backward: what they accumulated, else zeros, so
  // that every rank's buckets hold the same parameters.
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (arrived_[i]) continue;
    auto dst = slot(i);
    if (params_[i].grad().defined()) dst.copy_(params_[i].grad());
    else dst.zero_();
    arrived_[i] = true;
    --buckets_[bucket_of_[i]].pending;
  }
  start_ready_buckets();
  const double inv = 1.0 / dist_.world_size();
  for (auto& b : buckets_) {
    b.wait();
    if (dist_.world_size() > 1) b.flat.mul_(inv);
  }
  for (std::size_t i = 0; i < params_.size(); ++i) params_[i].mutable_grad() = slot(i);
  if (!rebuilt_) {
    // The averaged gradients stay valid: they are copied out before the old buckets go.
    for (auto& p : params_) p.mutable_grad() = p.grad().clone();
    rebuild_in_arrival_order();
    rebuilt_ = true;
  }
}

}  // namespace cgdmer
