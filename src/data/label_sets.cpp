// Label-set tables (label_sets.h). Names and orders copied from MERL's split CSV headers as
// listed in reference/peers.md §7; SNOMED codes for CPSC from the PhysioNet Challenge 2020
// dx_mapping_scored.csv (equivalent codes included).
#include "data/label_sets.h"

#include <algorithm>

namespace cgdmer {

const std::vector<std::string>& ptbxl_super_classes() {
  static const std::vector<std::string> v{"HYP", "NORM", "MI", "CD", "STTC"};
  return v;
}

const std::vector<std::string>& ptbxl_sub_classes() {
  static const std::vector<std::string> v{
      "AMI", "LAFB/LPFB", "LVH",  "STTC", "IMI",   "SEHYP", "CRBBB", "WPW",
      "LAO/LAE", "NORM",  "ISC",  "AVB",  "RAO/RAE", "LMI", "ISCI",  "ISCA",
      "NST", "CLBBB", "ILBBB", "IRBBB", "PMI", "RVH", "IVCD"};
  return v;
}

const std::vector<std::string>& ptbxl_form_classes() {
  static const std::vector<std::string> v{"PAC", "DIG", "HVOLT", "STD", "LPR", "QWAVE", "VCLVH",
                                          "NDT", "TAB", "LOWT", "ABQRS", "LNGQT", "PRC(S)", "NT",
                                          "STE", "NST", "PVC", "INVT", "LVOLT"};
  return v;
}

const std::vector<std::string>& ptbxl_rhythm_classes() {
  static const std::vector<std::string> v{"SVARR", "BIGU", "STACH", "SARRH", "SBRAD", "TRIGU",
                                          "AFIB",  "SR",   "SVTAC", "PSVT",  "AFLT",  "PACE"};
  return v;
}

const std::vector<std::string>& cpsc_classes() {
  static const std::vector<std::string> v{"AFIB", "VPC", "NORM", "1AVB", "CRBBB",
                                          "STE",  "PAC", "CLBBB", "STD"};
  return v;
}

const std::vector<std::string>& csn_classes() {
  static const std::vector<std::string> v{
      "AQW",  "UW",  "SR",   "WPW",  "2AVB", "AT",  "VB",   "ARS",  "STTC", "SA",
      "STE",  "VPB", "TWO",  "STTU", "ALS",  "APB", "2AVB1", "PRIE", "CCR", "CR",
      "AF",   "AVB", "QTIE", "LBBB", "VEB",  "SVT", "RBBB", "1AVB", "STDD", "MI",
      "AFIB", "TWC", "PWC",  "ERV",  "RVH",  "LVH", "ST",   "JEB"};
  return v;
}

std::string cpsc_class_of_reference_label(int label) {
  // CPSC 2018 REFERENCE.csv: 1 Normal, 2 AF, 3 I-AVB, 4 LBBB, 5 RBBB, 6 PAC, 7 PVC, 8 STD, 9 STE.
  static const char* names[] = {"NORM", "AFIB", "1AVB", "CLBBB", "CRBBB", "PAC", "VPC", "STD", "STE"};
  return label >= 1 && label <= 9 ? names[label - 1] : "";
}

std::string cpsc_class_of_snomed(const std::string& code) {
  static const std::map<std::string, std::string> m{
      {"426783006", "NORM"},  // sinus rhythm (CPSC "Normal")
      {"164889003", "AFIB"},  // atrial fibrillation
      {"270492004", "1AVB"},  // 1st degree AV block
      {"164909002", "CLBBB"}, {"733534002", "CLBBB"},  // (complete) left bundle branch block
      {"59118001", "CRBBB"},  {"713427006", "CRBBB"},  // (complete) right bundle branch block
      {"284470004", "PAC"},   {"63593006", "PAC"},     // premature atrial / supraventricular
      {"164884008", "VPC"},   {"427172004", "VPC"},    // ventricular ectopics / premature
      {"429622005", "STD"},   // ST depression
      {"164931005", "STE"},   // ST elevation
  };
  auto it = m.find(code);
  return it == m.end() ? "" : it->second;
}

int class_index(const std::vector<std::string>& classes, const std::string& name) {
  auto it = std::find(classes.begin(), classes.end(), name);
  return it == classes.end() ? -1 : int(it - classes.begin());
}

std::string strip_underscores(const std::string& s) {
  const auto b = s.find_first_not_of('_');
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of('_');
  return s.substr(b, e - b + 1);
}

}  // namespace cgdmer
