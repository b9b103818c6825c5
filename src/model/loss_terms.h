// CG-DMER's loss terms as a type (paper Eqs. 5–10), with the one list of their names: the
// keys of CgDmerOutputs::terms, of metrics.jsonl ("loss_cons", ...) and of the fixtures.
#pragma once

#include <array>
#include <string>

namespace cgdmer {

enum class LossTerm { cons, e_rec, t_rec, orth, siglip };

// In logging order.
inline constexpr std::array<LossTerm, 5> kLossTerms = {LossTerm::cons, LossTerm::e_rec,
                                                       LossTerm::t_rec, LossTerm::orth,
                                                       LossTerm::siglip};

// "loss_cons" | "loss_e_rec" | "loss_t_rec" | "loss_orth" | "loss_siglip"
constexpr const char* loss_term_name(LossTerm t) {
  switch (t) {
    case LossTerm::cons: return "loss_cons";
    case LossTerm::e_rec: return "loss_e_rec";
    case LossTerm::t_rec: return "loss_t_rec";
    case LossTerm::orth: return "loss_orth";
    case LossTerm::siglip: return "loss_siglip";
  }
  return "loss_?";
}

}  // namespace cgdmer
