"""The trainable complaint classifier: fitting, saving and loading versioned models
(:mod:`plaint.classifier.textmodel`), scoring them (:mod:`plaint.classifier.evaluate`),
reading labelled JSON Lines (:mod:`plaint.classifier.jsonl`) and the workers'
hot-reloading cache (:mod:`plaint.classifier.cache`)."""
