# Run by Debian's unmodified busybox-static (`busybox sh busybox.sh`): its shell with
# pipes, redirections, subshells, $?, and applets that it runs through execve of
# /proc/self/exe. Its output is the same on Linux (the boot suite compares).
d=/tmp/bb-test-$$
mkdir $d && cd $d || exit 9
echo "hello from busybox sh"
echo one > a.txt
echo two >> a.txt
cat a.txt
cat a.txt | wc -l
mkdir sub && touch sub/x sub/y && echo z > sub/z
ls -1
ls sub | sort -r
( exit 3 ); echo "subshell status $?"
false; echo "false status $?"
n=0; for i in 1 2 3 4; do n=$((n + i)); done; echo "sum $n"
x=$(echo sub | tr a-z A-Z); echo "substituted $x"
[ -d sub ] && echo "sub is a directory"
test -f nope || echo "nope is not there"
cat nope 2>/dev/null; echo "cat of a missing file: $?"
grep -c t a.txt
head -1 a.txt; tail -1 a.txt
sed 's/one/ONE/' a.txt
echo "$(seq 1 5 | tr '\n' ' ')"
wc -c sub/z
cd / && rm -r $d && echo "cleaned up"
[ -e $d ] || echo "gone"
exit 4
