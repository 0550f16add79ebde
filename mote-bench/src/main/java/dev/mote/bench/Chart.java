package dev.mote.bench;

import java.util.List;
import java.util.Locale;

/** A grouped bar chart as SVG, built as a string: groups along x, one bar per series in each. */
final class Chart {
    private static final String[] COLOURS = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"};

    private Chart() {}

    /** values[g][s]: group g, series s; NaN for a missing bar. */
    static String bars(String title, String yLabel, List<String> groups, List<String> series, double[][] values) {
        int width = 960;
        int height = 420;
        int left = 80;
        int right = 20;
        int top = 50;
        int bottom = 80;
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        double scaleMax = niceCeiling(max);
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        double groupW = plotW / (double) groups.size();
        double barW = groupW * 0.8 / series.size();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
                width, height, width, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>\n", left, esc(title)));
        for (int i = 0; i <= 5; i++) {
            double v = scaleMax * i / 5;
            double y = top + plotH - plotH * i / 5.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, width - right, y, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 6, y + 4, human(v)));
        }
        s.append(String.format(Locale.ROOT, "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                top + plotH / 2, esc(yLabel)));
        for (int g = 0; g < groups.size(); g++) {
            double gx = left + g * groupW + groupW * 0.1;
            for (int k = 0; k < series.size(); k++) {
                double v = values[g][k];
                if (Double.isNaN(v)) {
                    continue;
                }
                double h = plotH * v / scaleMax;
                s.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %s</title></rect>\n",
                        gx + k * barW, top + plotH - h, barW - 1, h, COLOURS[k % COLOURS.length],
                        esc(series.get(k)), esc(groups.get(g)), human(v)));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    left + g * groupW + groupW / 2, top + plotH + 18, esc(groups.get(g))));
        }
        for (int k = 0; k < series.size(); k++) {
            int x = left + k * 170;
            int y = height - 30;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", x, y - 11, COLOURS[k % COLOURS.length]));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 20, y, esc(series.get(k))));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String human(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
