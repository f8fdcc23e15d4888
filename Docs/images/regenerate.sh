#!/usr/bin/env bash
# Redraws every picture in Docs/images/ with the `slayer plot` commands that made them.
#
# Lines ending in "# byte-checked" read only files in this repository; DocsTests runs each of them
# and fails when the committed picture differs from what the command draws now. The others need a
# training run first (the demo: seconds in release; N-MNIST: minutes per epoch), made here.
#
#   Docs/images/regenerate.sh            # from the repository root, after `swift build -c release`
set -euo pipefail
cd "$(dirname "$0")/../.."
SLAYER=${SLAYER:-.build/release/slayer}
export SLAYER_DATA="${SLAYER_DATA:-$(cd .. && pwd)/shared/data}"

$SLAYER run Docs/examples/one-neuron > /dev/null
$SLAYER run Docs/examples/delay > /dev/null
$SLAYER plot kernels --out Docs/images/kernels.svg  # byte-checked
$SLAYER plot kernels --tau-rho 0.1 --out Docs/images/kernels-matlab.svg  # byte-checked
$SLAYER plot membrane Docs/examples/one-neuron --neuron 1 --out Docs/images/membrane-burst.svg  # byte-checked
$SLAYER plot membrane Docs/examples/one-neuron --neuron 0 --out Docs/images/membrane.svg  # byte-checked
$SLAYER plot raster Docs/examples/one-neuron/expected/op2.npy --target Docs/examples/one-neuron/target.npy --title "one-neuron: output spikes (blue) against the target (red)" --out Docs/images/one-neuron-raster.svg  # byte-checked

# The demo (slayer.md §8.1): seed 1, trained to the exact target.
demo=$(mktemp -d)
$SLAYER demo --out "$demo" --every 1000
$SLAYER plot raster "$demo/input.npy" --title "demo input: 250 Poisson trains at 60 Hz" --out Docs/images/demo-input.svg
$SLAYER plot raster "$demo/output.npy" --target "$demo/target.npy" --title "demo after training: output (blue) against the target (red)" --out Docs/images/demo-output.svg
$SLAYER plot learning "$demo" --out Docs/images/demo-learning.svg
rm -rf "$demo"

# N-MNIST, the MLP of slayerPytorch's example with the author's recipe, on train1K/test100.
if [ -d "$SLAYER_DATA/NMNISTsmall" ] && [ "${SKIP_NMNIST:-0}" != 1 ]; then
  run=$(mktemp -d)
  $SLAYER train nmnist --data "$SLAYER_DATA/NMNISTsmall" --net mlp --epochs 8 --out "$run" --every 1000
  $SLAYER plot training "$run" --title "SLAYER N-MNIST MLP (train1K, test100): loss and accuracy per epoch" --out Docs/images/nmnist-training.svg
  rm -rf "$run"
fi

# The CNN on N-MNIST (Docs/Training.md): 8 epochs, about an hour on two cores.
if [ -d "$SLAYER_DATA/NMNISTsmall" ] && [ "${SKIP_NMNIST:-0}" != 1 ] && [ "${SKIP_CNN:-0}" != 1 ]; then
  run=$(mktemp -d)
  $SLAYER train nmnist --data "$SLAYER_DATA/NMNISTsmall" --net cnn --epochs 8 --out "$run" --every 1000
  $SLAYER plot training "$run" --title "SLAYER N-MNIST CNN (train1K, test100), lr 0.001: loss and accuracy per epoch" --out Docs/images/cnn-training.svg
  rm -rf "$run"
fi

# Oxford (slayer.md §7): the default recipe of Docs/Training.md, which goes below 10 % of the
# silent-output loss; 5000 epochs, 12–18 minutes on one core.
if [ -d "$SLAYER_DATA/oxford" ] && [ "${SKIP_OXFORD:-0}" != 1 ]; then
  run=$(mktemp -d)
  $SLAYER train oxford --data "$SLAYER_DATA/oxford" --threads 1 --out "$run" --every 500
  cp "$run/training.svg" Docs/images/oxford-training.svg
  rm -rf "$run"
fi

# The scaling sweep of Docs/Performance.md: measured times, so redrawn only when re-measured
# (release build; the machine's other load shows in it).
$SLAYER bench --filter sweep- --svg Docs/images/bench-sweep.svg > /dev/null
