// Empty: this object library exists to own the precompiled <torch/torch.h>.
