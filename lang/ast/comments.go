package ast

import "sort"

// Doc returns the comments attached above n: the comment lines that end
// right before it, with no blank line or other code between. This is what an
// editor shows on hover.
func (f *File) Doc(n Node) []*Comment {
	if f.Source == nil {
		return nil
	}
	start := n.Span().Start
	i := sort.Search(len(f.Comments), func(i int) bool { return f.Comments[i].Start >= start })
	line := f.Source.Line(start)
	j := i
	for j > 0 {
		c := f.Comments[j-1]
		cl := f.Source.Line(c.Start)
		if cl != line-1 || !f.onlyBlanksBefore(c) {
			break
		}
		line = cl
		j--
	}
	return f.Comments[j:i]
}

// LineComment returns the comment at the end of n's last line, or nil.
func (f *File) LineComment(n Node) *Comment {
	if f.Source == nil {
		return nil
	}
	end := n.Span().End
	i := sort.Search(len(f.Comments), func(i int) bool { return f.Comments[i].Start >= end })
	if i < len(f.Comments) && f.Source.Line(f.Comments[i].Start) == f.Source.Line(end) {
		return f.Comments[i]
	}
	return nil
}

// onlyBlanksBefore reports whether c is the first thing on its line.
func (f *File) onlyBlanksBefore(c *Comment) bool {
	src := f.Source.Source()
	for p := int(c.Start) - 1; p >= 0 && src[p] != '\n'; p-- {
		if src[p] != ' ' && src[p] != '\t' {
			return false
		}
	}
	return true
}
