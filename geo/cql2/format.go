package cql2

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// String writes the filter in the CQL2 text encoding, in one canonical
// form: the same filter, however it was written or encoded, gives the same
// text (keywords upper case, properties quoted, literals normalised), so it
// serves as the filter's part of a cache key. ParseText reads it back to an
// equal tree.
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	switch e.Kind {
	case And, Or:
		kw := " AND "
		if e.Kind == Or {
			kw = " OR "
		}
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(kw)
			}
			a.write(b)
		}
		b.WriteByte(')')
	case Not:
		b.WriteString("NOT ")
		e.Args[0].write(b)
	case Compare:
		e.Args[0].write(b)
		b.WriteString(" " + e.Op + " ")
		e.Args[1].write(b)
	case Like, Between, In, IsNull:
		b.WriteByte('(')
		e.Args[0].write(b)
		if e.Negated && e.Kind != IsNull {
			b.WriteString(" NOT")
		}
		switch e.Kind {
		case Like:
			b.WriteString(" LIKE ")
			e.Args[1].write(b)
		case Between:
			b.WriteString(" BETWEEN ")
			e.Args[1].write(b)
			b.WriteString(" AND ")
			e.Args[2].write(b)
		case In:
			b.WriteString(" IN (")
			for i, a := range e.Args[1:] {
				if i > 0 {
					b.WriteString(", ")
				}
				a.write(b)
			}
			b.WriteByte(')')
		case IsNull:
			b.WriteString(" IS ")
			if e.Negated {
				b.WriteString("NOT ")
			}
			b.WriteString("NULL")
		}
		b.WriteByte(')')
	case Spatial, Temporal, ArrayOp:
		b.WriteString(strings.ToUpper(e.Op))
		b.WriteByte('(')
		e.Args[0].write(b)
		b.WriteString(", ")
		e.Args[1].write(b)
		b.WriteByte(')')
	case BoolLit:
		if e.Bool {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case Property:
		b.WriteString(`"` + strings.ReplaceAll(e.Name, `"`, `""`) + `"`)
	case String:
		b.WriteString("'" + strings.ReplaceAll(e.Str, "'", "''") + "'")
	case Number:
		b.WriteString(strconv.FormatFloat(e.Num, 'g', -1, 64))
	case Timestamp:
		b.WriteString("TIMESTAMP('" + e.Time.UTC().Format(time.RFC3339Nano) + "')")
	case Date:
		b.WriteString("DATE('" + e.Time.Format("2006-01-02") + "')")
	case Open:
		b.WriteString("'..'")
	case Interval:
		b.WriteString("INTERVAL(")
		e.Args[0].write(b)
		b.WriteString(", ")
		e.Args[1].write(b)
		b.WriteByte(')')
	case Casei:
		b.WriteString("CASEI(")
		e.Args[0].write(b)
		b.WriteByte(')')
	case Array:
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
		b.WriteByte(')')
	case Geometry:
		if bd, ok := e.Geom.(orb.Bound); ok && e.IsBBox {
			f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
			b.WriteString("BBOX(" + f(bd.Min[0]) + ", " + f(bd.Min[1]) + ", " + f(bd.Max[0]) + ", " + f(bd.Max[1]) + ")")
			return
		}
		b.Write(wkt.Marshal(e.Geom))
	}
}
