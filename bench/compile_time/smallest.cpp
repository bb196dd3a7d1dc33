// The smallest honest LibTorch training program: a conv + linear net, SGD, 10 steps on
// random data. What a one-line edit of a hand-written LibTorch program costs to rebuild.
#include <iostream>

#include <torch/torch.h>

struct NetImpl : torch::nn::Module {
    NetImpl()
        : conv(
            register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 8, 3))))
        , fc(register_module("fc", torch::nn::Linear(8 * 26 * 26, 10))) {}
    torch::Tensor forward(torch::Tensor x) { return fc(torch::relu(conv(x)).flatten(1)); }
    torch::nn::Conv2d conv;
    torch::nn::Linear fc;
};
TORCH_MODULE(Net);

int main() {
    torch::manual_seed(0);
    Net net;
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    for (int step = 0; step < 10; ++step) {
        auto x = torch::randn({32, 1, 28, 28});
        auto y = torch::randint(10, {32}, torch::kInt64);
        auto loss = torch::cross_entropy_loss(net->forward(x), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        std::cout << step << " " << loss.item<double>() << "\n";
    }
}
