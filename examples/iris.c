/*
 * Real data: Fisher's iris flowers (4 measurements, 3 species; see
 * examples/data/README.md). Features standardised, a 70/30 split with a
 * fixed seed, a 4-16-3 network (relu, softmax with categorical
 * cross-entropy, Adam); reports test accuracy and training time.
 *
 * Usage: iris [OUTPUT_DIR [DATA_FILE]]
 */
#include "classify.h"

int main(int argc, char **argv)
{
    classify_spec spec = {
        .name = "iris",
        .path = argc > 2 ? argv[2] : NN_EXAMPLES_DATA "/iris.csv",
        .skip_lines = 1,
        .classes = 3,
        .hidden = 16,
        .epochs = 200,
        .batch_size = 16,
        .test_fraction = 0.3,
        .seed = 1,
        .min_accuracy = 0.90,
    };

    return classify_run(&spec, argc > 1 ? argv[1] : ".");
}
