// read_cpsc_mat: original CPSC 2018 files. MATLAB v5 MAT-file (128-byte text header, then
// tagged data elements; here one miCOMPRESSED element = zlib stream of a miMATRIX) holding a
// 1×1 struct ECG with fields sex (char), age (numeric) and data (12 × n double, millivolts,
// leads I, II, III, aVR, aVL, aVF, V1–V6). The v5 container and zlib are decoded by matio,
// after check_mat_v5_structure has refused any size the file declares but does not hold.
#include <matio.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "io/ecg_readers.h"
#include "io/mat_v5_check.h"

namespace cgdmer {

namespace {

struct MatCloser {
  void operator()(mat_t* m) const { Mat_Close(m); }
};
struct VarFreer {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};

// Element i of a numeric matio variable as double, whatever its storage class.
bool numeric_at(const matvar_t* v, std::size_t i, double& out) {
  const void* d = v->data;
  switch (v->class_type) {
    case MAT_C_DOUBLE: out = static_cast<const double*>(d)[i]; return true;
    case MAT_C_SINGLE: out = static_cast<const float*>(d)[i]; return true;
    case MAT_C_INT8: out = static_cast<const std::int8_t*>(d)[i]; return true;
    case MAT_C_UINT8: out = static_cast<const std::uint8_t*>(d)[i]; return true;
    case MAT_C_INT16: out = static_cast<const std::int16_t*>(d)[i]; return true;
    case MAT_C_UINT16: out = static_cast<const std::uint16_t*>(d)[i]; return true;
    case MAT_C_INT32: out = static_cast<const std::int32_t*>(d)[i]; return true;
    case MAT_C_UINT32: out = static_cast<const std::uint32_t*>(d)[i]; return true;
    case MAT_C_INT64: out = double(static_cast<const std::int64_t*>(d)[i]); return true;
    case MAT_C_UINT64: out = double(static_cast<const std::uint64_t*>(d)[i]); return true;
    default: return false;
  }
}

std::size_t n_elements(const matvar_t* v) {
  std::size_t n = 1;
  for (int r = 0; r < v->rank; ++r) n *= v->dims[r];
  return n;
}

// Field `name` of the 1x1 struct `s`, or nullptr. matio's Mat_VarGetStructFieldByName calls
// strcmp on every field name, and a truncated or corrupt file can leave names unset (NULL):
// check them first (found by fuzz/fuzz_mat_v5).
matvar_t* struct_field(matvar_t* s, const char* name, const std::string& path) {
  const unsigned n = Mat_VarGetNumberOfFields(s);
  char* const* names = Mat_VarGetStructFieldnames(s);
  if (n > 0 && (!names || !s->data)) throw FormatError(path, "struct ECG is corrupt (no field table)");
  for (unsigned i = 0; i < n; ++i)
    if (!names[i]) throw FormatError(path, "struct ECG is corrupt (field " + std::to_string(i + 1) + " has no name)");
  return Mat_VarGetStructFieldByName(s, name, 0);
}

}  // namespace

EcgRecord read_cpsc_mat(const std::string& mat_path, double fs) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(mat_path, ec)) throw IoError(mat_path, "file not found");
  // matio allocates what a file declares before reading it (a 283-byte corrupt file made it
  // use 3.1 GB, found by fuzz/fuzz_mat_v5): check the element structure ourselves first.
  check_mat_v5_structure(mat_path);
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(mat_path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw FormatError(mat_path, "not a MATLAB MAT-file (matio cannot open it)");
  if (Mat_GetVersion(mat.get()) != MAT_FT_MAT5)
    throw FormatError(mat_path, "not a MATLAB v5 MAT-file (CPSC 2018 files are v5)");
  std::unique_ptr<matvar_t, VarFreer> ecg(Mat_VarRead(mat.get(), "ECG"));
  if (!ecg) throw FormatError(mat_path, "no readable variable 'ECG' (corrupt or not a CPSC file)");
  if (ecg->class_type != MAT_C_STRUCT || n_elements(ecg.get()) != 1)
    throw FormatError(mat_path, "variable 'ECG' is not a 1x1 struct");
  matvar_t* data = struct_field(ecg.get(), "data", mat_path);
  if (!data || !data->data) throw FormatError(mat_path, "struct ECG has no field 'data'");
  if (data->rank != 2 || data->isComplex)
    throw FormatError(mat_path, "ECG.data is not a real 2-D matrix");
  const std::size_t n_leads = data->dims[0], n_samples = data->dims[1];
  if (n_leads != 12)
    throw FormatError(mat_path, "ECG.data has " + std::to_string(n_leads) + " rows, expected 12 leads");
  if (n_samples == 0) throw FormatError(mat_path, "ECG.data has no samples");

  EcgRecord rec;
  rec.id = std::filesystem::path(mat_path).stem().string();
  rec.path = mat_path;
  rec.fs = fs;
  rec.n_leads = int(n_leads);
  rec.n_samples = std::int64_t(n_samples);
  rec.lead_names = {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"};
  rec.units.assign(n_leads, "mV");
  rec.data.resize(n_leads * n_samples);
  // MATLAB stores column-major: element (lead l, sample t) is at l + n_leads * t.
  double v = 0;
  for (std::size_t t = 0; t < n_samples; ++t)
    for (std::size_t l = 0; l < n_leads; ++l) {
      if (!numeric_at(data, l + n_leads * t, v))
        throw FormatError(mat_path, "ECG.data is not numeric");
      rec.data[l * n_samples + t] = float(v);
    }

  if (matvar_t* sex = struct_field(ecg.get(), "sex", mat_path);
      sex && sex->data && sex->class_type == MAT_C_CHAR &&
      (sex->data_type == MAT_T_UINT8 || sex->data_type == MAT_T_UTF8 || sex->data_type == MAT_T_INT8))
    rec.comments.push_back("Sex: " + std::string(static_cast<const char*>(sex->data),
                                                 n_elements(sex)));
  // Age is metadata: one outside 0..150 years (or NaN) is left out rather than cast, since
  // casting 6e78 to an integer is undefined behaviour (found by fuzz/fuzz_mat_v5, UBSan).
  if (matvar_t* age = struct_field(ecg.get(), "age", mat_path);
      age && age->data && n_elements(age) == 1 && numeric_at(age, 0, v) && v >= 0 && v <= 150)
    rec.comments.push_back("Age: " + std::to_string(static_cast<long long>(v)));
  return rec;
}

}  // namespace cgdmer
