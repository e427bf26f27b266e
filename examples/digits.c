/*
 * Real data: the UCI handwritten digits (8x8 images, 10 classes; see
 * examples/data/README.md). Features standardised, an 80/20 split with a
 * fixed seed, a 64-64-10 network (relu, softmax with categorical
 * cross-entropy, Adam); reports test accuracy and training time.
 *
 * Usage: digits [OUTPUT_DIR [DATA_FILE]]
 */
#include "classify.h"

int main(int argc, char **argv)
{
    classify_spec spec = {
        .name = "digits",
        .path = argc > 2 ? argv[2] : NN_EXAMPLES_DATA "/digits.csv.gz",
        .skip_lines = 0,
        .classes = 10,
        .hidden = 64,
        .epochs = 50,
        .batch_size = 32,
        .test_fraction = 0.2,
        .seed = 1,
        .min_accuracy = 0.97,
    };

    return classify_run(&spec, argc > 1 ? argv[1] : ".");
}
