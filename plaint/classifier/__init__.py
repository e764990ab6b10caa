"""The trainable complaint classifier: fitting, saving and loading versioned models
(:mod:`plaint.classifier.textmodel`) and the workers' hot-reloading cache
(:mod:`plaint.classifier.cache`)."""
