# complete.bash MODE WORD... : prints, one a line and sorted, what the bash
# completion of kasactl (contrib/bash-completion/kasactl) offers for the
# command line WORD... with the cursor at the end of the last WORD ("" for a
# new word).  MODE "full" loads bash-completion first, as an interactive
# shell on Debian does; "bare" uses the script alone.  Run by
# bash-completion.test with top_srcdir set.
set -u
mode=$1
shift
if [[ $mode == full ]]; then
	# bash-completion reads these; a shell running a script has them unset.
	. /usr/share/bash-completion/bash_completion || exit 99
fi
. "$top_srcdir/contrib/bash-completion/kasactl" || exit 99
if [[ $1 == --complete-p ]]; then
	complete -p kasactl
	exit
fi
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_kasactl kasactl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort -u
exit 0
