module bastion/shell/native

go 1.19
