// The sub-command table of the `cgdmer` binary. Each cmd_<name>.cpp registers one command:
// it declares its flags on the CLI11 sub-app and returns the function that runs it. Flags
// are turned into a config struct here; the work is a library call (nothing in src/ reads
// argv). Registration is by a static object so that adding a command touches one file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "io/ecg_readers.h"
#include "model/precision.h"

namespace cgdmer::cli {

using Runner = std::function<int()>;

struct Command {
  std::string name;
  std::string summary;  // one line for `cgdmer --help`
  int order;            // position in the help listing (pipeline order)
  std::function<Runner(CLI::App&)> setup;
};

std::vector<Command>& command_table();

struct RegisterCommand {
  explicit RegisterCommand(Command c) { command_table().push_back(std::move(c)); }
};

// --csv-fs / --csv-uv: how a .csv record is read (CSV carries no rate and no unit).
inline void add_csv_record_options(CLI::App& app, RecordReadOptions* read) {
  app.add_option("--csv-fs", read->csv_fs,
                 "sampling rate (Hz) of .csv records (one column per lead, lead names in the header; CSV carries no rate)")
      ->check(CLI::PositiveNumber);
  app.add_flag_function(
      "--csv-uv", [read](std::int64_t) { read->csv_units = CsvUnits::kMicrovolts; },
      ".csv values are in µV (default mV)");
}

// --precision fp32 | bf16 | auto, parsed into `*target` (a Precision, or an optional one that
// stays empty when the flag is absent) when the flag is given.
template <class Target>
CLI::Option* add_precision_option(CLI::App& app, Target* target, const std::string& help) {
  return app
      .add_option_function<std::string>(
          "--precision", [target](const std::string& s) { *target = parse_precision(s, "--precision"); },
          help)
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}));
}

// --device cpu | cuda | cuda:N: where the model runs (inference commands). Checked when the
// command runs (model/model_loading.h parse_device: a clear error without a CUDA device).
inline CLI::Option* add_device_option(CLI::App& app, std::string* device) {
  return app.add_option("--device", *device, "cpu | cuda | cuda:N: where the model runs")->capture_default_str();
}

}  // namespace cgdmer::cli
