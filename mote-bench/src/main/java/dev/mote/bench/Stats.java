package dev.mote.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/** Medians with their spread (lowest to highest) over repeated runs. */
record Stats(double median, double min, double max, int runs) {

    static <T> Stats of(List<T> items, ToDoubleFunction<T> f) {
        double[] v = items.stream().mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double m = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return new Stats(m, v[0], v[v.length - 1], v.length);
    }

    /** "12,345 (11,900–12,800)": the median and, for several runs, the range. */
    String format(String pattern) {
        if (runs == 0) {
            return "–";
        }
        String m = String.format(java.util.Locale.ROOT, pattern, median);
        return runs == 1 ? m : m + " (" + String.format(java.util.Locale.ROOT, pattern, min) + "–"
                + String.format(java.util.Locale.ROOT, pattern, max) + ")";
    }
}
