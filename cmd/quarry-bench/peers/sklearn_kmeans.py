"""Peer for quarry-bench's k-means cases: scikit-learn KMeans on the same
data and starting centroids. Reads little-endian float64 files written by
quarry-bench and prints "<iterations> <seconds per iteration>".

Usage: sklearn_kmeans.py X.bin C.bin ROWS COLS K MAX_ITER ALGORITHM
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans


def main():
    xp, cp, n, d, k, iters, alg = sys.argv[1:8]
    n, d, k, iters = int(n), int(d), int(k), int(iters)
    x = np.fromfile(xp, dtype="<f8").reshape(n, d)
    c = np.fromfile(cp, dtype="<f8").reshape(k, d)
    km = KMeans(n_clusters=k, algorithm=alg, init=c, n_init=1, max_iter=iters, tol=0)
    t = time.perf_counter()
    km.fit(x)
    elapsed = time.perf_counter() - t
    print(km.n_iter_, elapsed / km.n_iter_)


if __name__ == "__main__":
    main()
