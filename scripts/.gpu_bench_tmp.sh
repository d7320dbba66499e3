set -u
work=$(mktemp -d); tar -xJf artifacts/bundle/nativemtl-linux-x64.tar.xz -C $work; n=$work/nativemtl-linux-x64/nativemtl
export COLUMNS=160
(time timeout 90 $n bench --kernels --device cuda) > $OUT/kernels.txt 2>&1
(time timeout 150 $n bench --device cuda --model small --steps 20 --warmup 5 --json $OUT/small.json) > $OUT/small.txt 2>&1
(time timeout 220 $n bench --device cuda --model reference --balancers equal,auxilight,ial,lsb,gradsim,gradnorm,autolambda --steps 10 --warmup 3 --json $OUT/reference.json) > $OUT/reference.txt 2>&1
tail -30 $OUT/kernels.txt; tail -25 $OUT/small.txt; tail -20 $OUT/reference.txt
