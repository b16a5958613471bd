#!/usr/bin/env bash
# make_library.sh: writes the tinyad Arduino library from the repository's own
# sources (nothing here is a second copy kept in git):
#   OUT/tinyad/library.properties   Arduino 1.5 library format
#   OUT/tinyad/library.json         PlatformIO
#   OUT/tinyad/src/                 core/ (the freestanding scoring core)
#   OUT/tinyad/examples/NAME/       firmware/NAME/ sketches; `selftest` comes
#                                   with a demo model (original recipe, trained
#                                   on a simulated fan) so it builds as it is
#   OUT/tinyad-VERSION.zip          the folder, for Sketch > Include Library > Add .ZIP
# Usage: scripts/arduino/make_library.sh TINYAD_BINARY OUT_DIR
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 TINYAD_BINARY OUT_DIR (writes OUT_DIR/tinyad/ and OUT_DIR/tinyad-VERSION.zip)" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
tinyad=$(realpath "$1")
out=$(mkdir -p "$2" && realpath "$2")
version=$("$tinyad" --version | awk '{print $2}')
case $version in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "make_library: expected 'tinyad X.Y.Z' from $tinyad --version, got '$version'" >&2; exit 1 ;;
esac

# Built beside the result and moved in place at the end: never half a library.
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
lib=$stage/tinyad
mkdir -p "$lib/src" "$lib/examples"
cp "$root"/core/*.h "$root"/core/*.cpp "$lib/src/"
for sketch in selftest deploy deploy-tflm collect; do
  cp -r "$root/firmware/$sketch" "$lib/examples/"
done

# The selftest example's demo model: small, so the example fits an Uno.
demo=$stage/demo
"$tinyad" simulate -o "$demo/data" -n 40 --seed 7 --labels fan_0_low_0_weight,fan_0_low_1_weight >/dev/null
"$tinyad" train --data "$demo/data" --normal fan_0_low_0_weight --recipe original -o "$demo/model.json" >/dev/null
"$tinyad" export "$demo/model.json" "$lib/examples/selftest" --to c --anomaly fan_0_low_1_weight --windows 2 >/dev/null

cat >"$lib/library.properties" <<PROPS
name=tinyad
version=$version
author=tinyad
maintainer=tinyad
sentence=Vibration anomaly detection: score accelerometer windows with a model trained by the tinyad CLI.
paragraph=Header-only, no heap: a window buffer, the features of a recipe, a Mahalanobis or autoencoder detector, and on-device commissioning. Export a model with 'tinyad export MODEL.json SKETCH_DIR --to c'. The selftest example ships with a demo model.
category=Sensors
architectures=*
includes=tinyad_window.h
PROPS

cat >"$lib/library.json" <<JSON
{
  "name": "tinyad",
  "version": "$version",
  "description": "Vibration anomaly detection: score accelerometer windows with a model trained by the tinyad CLI (header-only, no heap).",
  "keywords": ["anomaly detection", "vibration", "accelerometer", "mahalanobis", "autoencoder"],
  "frameworks": ["arduino"],
  "platforms": ["*"],
  "build": {"srcDir": "src", "includeDir": "src"},
  "examples": ["examples/*/*.ino"]
}
JSON

rm -rf "$out/tinyad" "$out"/tinyad-*.zip "$demo"
(cd "$stage" && cmake -E tar cf "$stage/tinyad-$version.zip" --format=zip tinyad)
mv "$lib" "$out/tinyad"
mv "$stage/tinyad-$version.zip" "$out/"
echo "arduino library: $out/tinyad (library.properties, library.json) and $out/tinyad-$version.zip"
