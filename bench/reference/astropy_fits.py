"""Times astropy.io.fits on the benchmark files; prints one JSON object (seconds, medians).

Usage: astropy_fits.py PLAIN.fits RICE_OUT.fits REPEATS
Run with Debian's /usr/bin/python3 (it has python3-astropy).
"""
import json
import sys
import time

import numpy as np
from astropy.io import fits


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


plain, rice_out, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])


def read_plain():
    with fits.open(plain, memmap=False) as hdul:
        np.asarray(hdul[0].data).sum()


data = fits.getdata(plain)
header = fits.getheader(plain)


def compress():
    hdu = fits.CompImageHDU(data, header=header, compression_type="RICE_1", quantize_level=4.0)
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(rice_out, overwrite=True)


read_s = median_time(read_plain, repeats)
compress_s = median_time(compress, repeats)


def decompress():
    with fits.open(rice_out) as hdul:
        np.asarray(hdul[1].data).sum()


decompress_s = median_time(decompress, repeats)
import os

print(json.dumps({"read_s": read_s, "compress_s": compress_s, "decompress_s": decompress_s,
                  "compressed_bytes": os.path.getsize(rice_out)}))
