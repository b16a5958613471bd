// cmd_serve.cpp: `tinyad serve --model MODEL -p PORT`, the inference service
// over HTTP: the device protocol on / (windows scored into JSON verdicts),
// /healthz, /metrics, alarm debouncing, a JSON-lines event log and the live
// dashboard (/dashboard, fed with the same events over /events). Signals are
// taken synchronously (sigtimedwait) in the main thread, as in collect, so no
// work happens in a signal handler; on SIGTERM/SIGINT the server drains
// (requests under way are answered) and the event log is flushed and closed.
// With --mqtt, windows also come over MQTT (src/mqtt_bridge.h): verdicts on
// tinyad/<device>/verdict, alarm raise/clear on tinyad/<device>/alarm; on
// SIGTERM it unsubscribes and answers every window already received first.
// --learn N adds per-device baselines (device_baselines.h), kept in --baselines
// FILE by a saver thread and written a last time after the drain.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "atomic_file.h"
#include "commands.h"
#include "dashboard.h"
#include "dataset.h"
#include "device_baselines.h"
#include "http_auth.h"
#include "http_server.h"
#include "server_flags.h"
#include "inference_service.h"
#include "line_log.h"
#include "model_import.h"
#include "mqtt_bridge.h"

namespace tinyad::app {
namespace {

struct ServeArgs {
  std::string model, alarm = "3/5", events;
  ImportOptions import;  // for .npz / .h5 / .tflite models
  bool threshold_given = false;
  std::string normal;
  // --learn (per-device baselines, device_baselines.h)
  uint32_t learn = 0, calibrate = 0;
  double learn_sd = 3;
  uint32_t commission = 0;  // --commission K (docs/commissioning.md)
  std::string baselines, recipe = "default";
  std::string mqtt, mqtt_client_id;
  std::string mqtt_password_file, mqtt_cafile, mqtt_cert, mqtt_key;
  std::string admin_token_file;
  size_t max_devices = 10000;
  int mqtt_workers = 0;
  ServerFlags server;
};

// The broker's address, the user name and password (first line of
// --mqtt-password-file, or TINYAD_MQTT_PASSWORD) and the TLS files.
bool mqtt_options(const ServeArgs& a, MqttOptions* mo, std::string* err) {
  if (!mqtt_url_parse(a.mqtt, mo, err)) return false;
  MqttSecurity& s = mo->security;
  if (!a.mqtt_password_file.empty()) {
    if (!read_first_line(a.mqtt_password_file, &s.password, err)) return false;
  } else if (const char* pw = std::getenv("TINYAD_MQTT_PASSWORD"); pw && *pw) {
    s.password = pw;
  }
  if (!s.password.empty() && s.username.empty()) {
    *err = "an MQTT password needs a user name: --mqtt mqtt://USER@host";
    return false;
  }
  s.cafile = a.mqtt_cafile;
  s.certfile = a.mqtt_cert;
  s.keyfile = a.mqtt_key;
  return true;
}

// What devices use (the ready flag, windows, health) stays open under
// --admin-token-file: the firmware sends no credentials. Everything else
// (metrics, events, dashboard, device lists and resets) needs the token.
bool is_device_protocol(const HttpRequest& r) {
  const std::string_view path = r.path();
  return path == "/" || (path == "/healthz" && r.method == "GET");
}

// The token: the file's first line, at least 16 characters (a guessable
// token protects nothing).
bool read_admin_token(const std::string& path, std::string* token, std::string* err) {
  if (!read_first_line(path, token, err)) return false;
  if (token->size() < 16) {
    *err = path + ": the admin token must be at least 16 characters (e.g. `openssl rand -hex 16 > " + path + "`)";
    return false;
  }
  return true;
}

// The fleet model (any file tinyad reads), or with --learn and no --model
// just the recipe the baselines use.
bool load_fleet_model(ServeArgs& a, Model* model, std::string* err) {
  if (a.model.empty() && a.commission > 0) {
    *err = "--commission needs --model (the fleet model judges a device while it commissions)";
    return false;
  }
  if (a.model.empty() && a.learn == 0) {
    *err = "--model is required (or --learn N for per-device baselines)";
    return false;
  }
  if (a.model.empty()) {
    if (recipe_named(a.recipe, &model->recipe, err)) return true;
    *err = "--recipe: " + *err;
    return false;
  }
  a.import.threshold_given = a.threshold_given;
  if (!a.normal.empty()) a.import.normal = split_list(a.normal);
  std::vector<std::string> warnings;
  if (!model_import(a.model, a.import, model, &warnings, err)) return false;
  for (const auto& w : warnings) warn(w);
  return true;
}

// --learn: the per-device baseline table (loaded from --baselines when it
// exists) in io; *note says what was set up, for the log.
// --commission K: the per-device commissioning table; needs a Mahalanobis
// fleet model (its per-feature sd scales the sd floor) and excludes --learn.
bool setup_commission(const ServeArgs& a, const Model& model, InferenceOptions* io, std::string* note,
                      std::string* err) {
  const auto* fleet = std::get_if<MahalanobisModel>(&model.detector);
  if (a.model.empty() || !fleet || fleet->covariance.rows() == 0) {
    *err = "--commission needs --model with a Mahalanobis fleet model (its feature sds scale the commissioning "
           "baseline's sd floor)";
    return false;
  }
  if (a.learn > 0) {
    *err = "--commission and --learn are two kinds of per-device baseline: give one";
    return false;
  }
  const size_t n = tinyad_recipe_n_features(&model.recipe.core);
  if (a.commission < 3) {
    *err = "--commission: at least 3 windows (the threshold comes from leave-one-out scores); 30 recommended";
    return false;
  }
  if (n > TINYAD_COMMISSION_MAX_FEATURES) {
    *err = "--commission: the recipe has " + std::to_string(n) + " features, the commissioning core holds at most " +
           std::to_string(TINYAD_COMMISSION_MAX_FEATURES);
    return false;
  }
  if (a.commission < 30) warn("--commission " + std::to_string(a.commission) + " is under 30 windows: false alarms "
                              "rise from some start points (docs/commissioning.md)");
  BaselineOptions bo;
  bo.commission = a.commission;
  for (Eigen::Index i = 0; i < fleet->covariance.rows(); ++i) bo.fleet_sd.push_back(std::sqrt(fleet->covariance(i, i)));
  io->max_devices = bo.max_devices = a.max_devices;
  io->baselines = std::make_shared<DeviceBaselines>(model.recipe, bo);
  io->fleet_model = true;
  bool existed = false;
  if (!a.baselines.empty() && !io->baselines->load(a.baselines, &existed, err)) return false;
  const auto phases = io->baselines->phase_counts();
  *note = "per-device commissioning: " + std::to_string(bo.commission) + " windows, recipe " + model.recipe.name +
          "; " +
          (existed ? std::to_string(phases[0] + phases[2]) + " devices from " + a.baselines + " (" +
                         std::to_string(phases[2]) + " monitoring)"
           : a.baselines.empty() ? "not kept (no --baselines)"
                                 : a.baselines + " is new");
  return true;
}

bool setup_baselines(const ServeArgs& a, const Model& model, InferenceOptions* io, std::string* note,
                     std::string* err) {
  if (a.commission > 0) return setup_commission(a, model, io, note, err);
  if (a.learn == 0) {
    if (a.baselines.empty()) return true;
    *err = "--baselines needs --learn N or --commission K";
    return false;
  }
  BaselineOptions bo;
  bo.learn = a.learn;
  bo.calibrate = a.calibrate > 0 ? a.calibrate : baseline_default_calibrate(a.learn);
  bo.sd = a.learn_sd;
  const size_t n = tinyad_recipe_n_features(&model.recipe.core);
  if (bo.learn <= n) {
    *err = "--learn " + std::to_string(bo.learn) + ": must exceed the recipe's " + std::to_string(n) +
           " features (" + model.recipe.name + "), or the covariance is singular";
    return false;
  }
  if (3 * size_t(bo.learn) < 4 * n) {  // measured in docs/baselines.md
    warn("--learn " + std::to_string(bo.learn) + " is under 4/3 of the recipe's " + std::to_string(n) +
         " features: the learned covariance is poor (docs/baselines.md)");
  }
  if (bo.calibrate < 2) {
    *err = "--calibrate: at least 2 windows (their sd sets the threshold)";
    return false;
  }
  if (!(bo.sd >= 0)) {
    *err = "--learn-sd: expected a number >= 0";
    return false;
  }
  io->max_devices = bo.max_devices = a.max_devices;
  io->baselines = std::make_shared<DeviceBaselines>(model.recipe, bo);
  io->fleet_model = !a.model.empty();
  bool existed = false;
  if (!a.baselines.empty() && !io->baselines->load(a.baselines, &existed, err)) return false;
  const auto phases = io->baselines->phase_counts();
  char sd_text[32];
  std::snprintf(sd_text, sizeof sd_text, "%g", bo.sd);
  *note = "per-device baselines: learn " + std::to_string(bo.learn) + ", calibrate " + std::to_string(bo.calibrate) +
          ", threshold mean+" + sd_text + "sd, recipe " + model.recipe.name + "; " +
          (existed ? std::to_string(phases[0] + phases[1] + phases[2]) + " devices from " + a.baselines + " (" +
                         std::to_string(phases[2]) + " monitoring)"
           : a.baselines.empty() ? "not kept (no --baselines)"
                                 : a.baselines + " is new");
  return true;
}

int run_serve(ServeArgs& a) {
  sigset_t stop_signals = prepare_server_process();

  std::string err;
  InferenceOptions io;
  io.max_devices = a.max_devices;  // the one device table's bound (baselines and dashboard follow it)
  if (!alarm_rule_parse(a.alarm, &io.alarm, &err)) return fail(err);
  io.limits.max_readings = a.server.max_readings;
  io.limits.min_readings = a.server.min_readings;
  io.limits.max_abs_g = a.server.max_abs_g;
  io.other_paths = {"/dashboard", "/events"};  // Dashboard::handle, in front of the service
  MqttOptions mo;
  if (!a.mqtt.empty() && !mqtt_options(a, &mo, &err)) return fail(err);
  Model model;
  if (!load_fleet_model(a, &model, &err)) return fail(err);
  std::string baselines_note;
  if (!setup_baselines(a, model, &io, &baselines_note, &err)) return fail(err);
  auto out = std::make_shared<LineOut>(stdout, true);
  // Each event is in the file as it happens (one write per line), so a crash
  // loses none and a full disk is said at once (line_log.h).
  std::unique_ptr<LineLog> events;
  if (!a.events.empty()) {
    events = std::make_unique<LineLog>();
    if (!events->open(a.events, [out](const std::string& s) { out->line(s); }, &err))
      return fail("cannot open the event log " + err);
  }
  // The dashboard draws at most the monitor's devices (fewer by default: a
  // page of 1000 timelines is already more than a browser shows well).
  DashboardOptions dashboard_options;
  dashboard_options.max_devices = std::min(dashboard_options.max_devices, io.max_devices);
  Dashboard dashboard(DashboardInfo{a.model, detector_name(model), model.threshold.value, a.alarm}, dashboard_options);
  // Every verdict and alarm goes to the event log (if any), the dashboard and MQTT.
  std::atomic<MqttBridge*> mqtt{nullptr};  // set once connected; alarms go out on it
  // The monitor calls this with none of its locks held, several devices at once.
  FleetEventSink sink = [e = events.get(), &dashboard, &mqtt, out](const FleetEvent& event) {
    if (e) e->append(event.json);
    if (event.kind != FleetEventKind::kVerdict) out->line(fleet_event_console_line(event));  // alarms on the console
    dashboard.on_event(event);
    if (MqttBridge* m = mqtt.load()) m->on_service_event(event);
  };
  InferenceService service(std::move(model), io, sink, [out](const std::string& s) { out->line(s); });

  std::string admin_token;
  if (!a.admin_token_file.empty() && !read_admin_token(a.admin_token_file, &admin_token, &err)) return fail(err);
  HttpServer server(
      server_options(a.server),
      [&service, &dashboard, &mqtt, &admin_token](const HttpRequest& r, const HttpPeer& p) {
        if (!admin_token.empty() && !is_device_protocol(r) && !http_has_token(r, admin_token)) {
          service.on_rejected(p, 401, "no admin token for " + r.method + " " + std::string(r.path()));
          return http_unauthorized();
        }
        if (std::optional<HttpResponse> d = dashboard.handle(r)) return std::move(*d);
        HttpResponse res = service.handle(r, p);
        MqttBridge* m = mqtt.load();
        if (m && r.path() == "/metrics" && res.status == 200) res.body += m->metrics_text();
        return res;
      },
      [&service](const HttpPeer& p, int status, const std::string& reason) { service.on_rejected(p, status, reason); });
  if (!server.start(&err)) return fail("cannot listen on " + err);
  service.set_ready(true);
  out->line("listening on port " + std::to_string(server.port()));
  if (!a.model.empty()) {
    out->line("serving " + a.model + " (" + detector_name(service.model()) + ", threshold " +
              std::to_string(service.model().threshold.value) + ", alarm " + a.alarm + ") until interrupted");
  } else {
    out->line("serving per-device baselines only (alarm " + a.alarm + ") until interrupted");
  }
  if (!baselines_note.empty()) out->line(baselines_note);
  std::unique_ptr<BaselineSaver> saver;
  if (!a.baselines.empty()) {
    saver = std::make_unique<BaselineSaver>(io.baselines.get(), a.baselines, 10.0,
                                            [out](const std::string& s) { out->line(s); });
  }
  out->line("live dashboard: http://" + (a.server.host == "0.0.0.0" ? std::string("localhost") : a.server.host) +
            ":" + std::to_string(server.port()) + "/dashboard");
  std::unique_ptr<MqttBridge> bridge;
  if (!a.mqtt.empty()) {
    mo.client_id = a.mqtt_client_id;
    mo.workers = a.mqtt_workers > 0 ? a.mqtt_workers : std::max(1, int(std::thread::hardware_concurrency()));
    mo.max_payload = a.server.max_body;
    bridge = std::make_unique<MqttBridge>(
        mo,
        [&service](const std::string& device, std::string_view body, const std::string& topic) {
          return service.monitor().process_window(device, body, device, topic);
        },
        [out](const std::string& s) { out->line(s); });
    mqtt = bridge.get();  // before start(): the first windows' alarms go out too
    if (!bridge->start(&err)) {
      mqtt = nullptr;
      server.drain(0);
      return fail(err);
    }
  }

  siginfo_t info;
  while (::sigwaitinfo(&stop_signals, &info) < 0) {
  }
  // MQTT first: unsubscribe, answer what was received, disconnect.
  if (bridge) bridge->stop(a.server.drain);
  mqtt = nullptr;  // alarms from HTTP windows under way no longer go out
  // Windows already under way are still scored and answered (the ready
  // flag stays 1 until then: a post refused now would be a lost window).
  const bool drained = server.drain(int(std::lround(a.server.drain * 1000)));
  service.set_ready(false);
  if (!drained) out->line("stopped before every request under way was answered (--drain)");
  int status = 0;
  if (saver && !saver->stop(&err)) status = fail("cannot save the baselines: " + err);
  if (events && events->failed() > 0)
    status = fail("the event log " + a.events + " lost " + std::to_string(events->failed()) + " lines");
  out->line("stopped: " + std::to_string(service.windows()) + " windows scored, " +
            std::to_string(service.anomalies()) + " anomalies, " + std::to_string(service.alarms_raised()) +
            " alarms raised, " + std::to_string(service.alarms_cleared()) + " cleared, " +
            std::to_string(service.bad_requests()) + " requests refused");
  return status;
}

}  // namespace

RunFn attach_serve(CLI::App* cmd) {
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--model", a->model,
                  "Model file: tinyad .json, or the original's .npz, a Keras .h5 or a .tflite autoencoder; with "
                  "--learn the fleet default until a device has its own baseline");
  auto* thr = cmd->add_option("--threshold", a->import.threshold,
                              "Threshold for a .npz/.h5/.tflite model (default 3.0); with --data/--normal also a "
                              "rule such as mean+3sd");
  cmd->add_option("--data", a->import.data, "Dataset to calibrate a .npz/.h5/.tflite model's threshold on");
  cmd->add_option("--normal", a->normal, "Normal label(s) in --data, comma-separated");
  cmd->add_option("--false-alarms", a->import.false_alarms,
                  "With --data/--normal: threshold flagging a normal window like those with probability P "
                  "(split-conformal, docs/thresholds.md)")
      ->check(CLI::Range(1e-9, 0.999999))
      ->excludes(thr);
  cmd->add_option("--alarm", a->alarm,
                  "k/n: raise a device's alarm when k of its last n windows are anomalous, clear it when k of "
                  "the last n are normal (default 3/5)");
  cmd->add_option("--events", a->events,
                  "Append every verdict and alarm raise/clear to this file as JSON lines (flushed on exit)");
  cmd->add_option("--learn", a->learn,
                  "Per-device baselines: each device's first N windows train its own mean and covariance "
                  "(N > the recipe's feature count; see docs/baselines.md)");
  cmd->add_option("--calibrate", a->calibrate,
                  "With --learn: the next M windows set the device's threshold (default N/4, at least 16)");
  cmd->add_option("--learn-sd", a->learn_sd,
                  "With --learn: threshold = mean + K sd of the calibration scores (default 3)");
  cmd->add_option("--commission", a->commission,
                  "Per-device commissioning: each device's first K windows (after start or POST "
                  "/devices/<id>/commission) are judged by --model while they set the device's own diagonal "
                  "baseline, which then judges it (30 recommended; docs/commissioning.md)");
  cmd->add_option("--recipe", a->recipe, "With --learn and no --model: the feature recipe (default: default)");
  cmd->add_option("--baselines", a->baselines,
                  "With --learn or --commission: keep the baselines in this JSON file (loaded at start, saved on changes, every "
                  "10 s and at exit)");
  cmd->add_option("--mqtt", a->mqtt,
                  "Also take windows over MQTT from this broker (mqtt://[user@]host[:port], default port 1883; "
                  "mqtts:// for TLS, default port 8883): "
                  "$share/tinyad/tinyad/+/samples in, tinyad/<device>/verdict and /alarm out, QoS 1");
  cmd->add_option("--max-devices", a->max_devices,
                  "Most devices tracked (default 10000): ids come from clients, so the table is bounded; windows "
                  "of new devices past it get 429")
      ->check(CLI::Range(size_t(1), size_t(10000000)));
  cmd->add_option("--admin-token-file", a->admin_token_file,
                  "Require this token (the file's first line, >= 16 characters) for everything but the device "
                  "protocol and /healthz: Authorization: Bearer TOKEN, or Basic with the token as password "
                  "(the dashboard's login prompt)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-password-file", a->mqtt_password_file,
                  "The MQTT password: the first line of this file (or the environment variable "
                  "TINYAD_MQTT_PASSWORD); the user name is the URL's, mqtt://USER@host")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-cafile", a->mqtt_cafile,
                  "With mqtts://: CA certificate(s) (PEM) the broker's certificate must chain to "
                  "(default: the system's, /etc/ssl/certs)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-cert", a->mqtt_cert, "With mqtts://: a client certificate (PEM), for brokers that ask")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-key", a->mqtt_key, "With --mqtt-cert: its private key (PEM)")->check(CLI::ExistingFile);
  cmd->add_option("--mqtt-client-id", a->mqtt_client_id, "MQTT client id (default tinyad-<hostname>-<pid>)");
  cmd->add_option("--mqtt-workers", a->mqtt_workers, "Threads scoring MQTT windows (default: number of cores)")
      ->check(CLI::Range(0, 256));
  add_server_flags(cmd, &a->server);
  return [a, thr] {
    a->threshold_given = thr->count() > 0;
    return run_serve(*a);
  };
}

}  // namespace tinyad::app
