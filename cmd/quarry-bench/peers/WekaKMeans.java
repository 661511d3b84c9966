// WekaKMeans times Weka's SimpleKMeans.buildClusterer alone (Weka 3.6's
// command line prints no build time): it loads an ARFF file, clusters it
// and prints "<iterations> <seconds>". Arguments: file k maxIterations seed.
import java.io.BufferedReader;
import java.io.FileReader;

import weka.clusterers.SimpleKMeans;
import weka.core.Instances;

public class WekaKMeans {
    public static void main(String[] args) throws Exception {
        Instances data = new Instances(new BufferedReader(new FileReader(args[0])));
        SimpleKMeans km = new SimpleKMeans();
        km.setNumClusters(Integer.parseInt(args[1]));
        km.setMaxIterations(Integer.parseInt(args[2]));
        km.setSeed(Integer.parseInt(args[3]));
        long start = System.nanoTime();
        km.buildClusterer(data);
        double secs = (System.nanoTime() - start) / 1e9;
        String out = km.toString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Number of iterations: (\\d+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no iteration count in: " + out);
        }
        System.out.println(m.group(1) + " " + secs);
    }
}
