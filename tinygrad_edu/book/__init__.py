"""The book's worked examples, one module per example, named by chapter.

- `ch1_neuron`: §1-2 Example 1, the McCulloch-Pitts neuron's table;
- `ch1_demons`: §1-5, §1-6, the demon network with hand-set weights, and why biases matter;
- `ch2_gradient_descent`: §2-11, gradient descent on z = x² + y²;
- `ch3_training`: §3-5, the 12-3-2 network fitted from the Solver's start values;
- `ch4_backprop`: §4-1..§4-4, backpropagation, the §4-4 descent, gradients four ways;
- `ch5_cnn`, `ch5_pictures`: §5-4..§5-6, the CNN as an `nn.Sequential` of the book's layers,
  its gradient descent, and pictures of its filters and maps;
- `delta`: the δ method by hand in numpy (the independent reference);
- `network`: the 12-3-2 network on either engine, C_T, evaluation and the training loop;
- `demon_graph`: the demon network's drawings (its graphs and network diagram, through `viz`);
- `terminal`, `pictures`: weights as 4x3 pictures in the terminal and as PNG files.
"""
