/** Light-curve CSV parsing: column names, optional columns, and errors that name line and column. */
import { describe, expect, it } from 'vitest';
import { parseLightCurveCsv, TimeseriesError } from '../../../src/science/timeseries/index.js';

function fail(text: string): TimeseriesError {
  try {
    parseLightCurveCsv(text, { source: 'lc.csv' });
  } catch (err) {
    expect(err).toBeInstanceOf(TimeseriesError);
    return err as TimeseriesError;
  }
  throw new Error('expected a TimeseriesError');
}

describe('parseLightCurveCsv', () => {
  it('reads t,y,dy with any case, comments, blank lines, extra columns and quotes', () => {
    const lc = parseLightCurveCsv('# a comment\n\nT,Y,DY,notes\n1.5,10.1,0.1,"a, b"\n2.5,10.3,0.2,x\r\n\n3,9.9,0.15,\n');
    expect([...lc.t]).toEqual([1.5, 2.5, 3]);
    expect([...lc.y]).toEqual([10.1, 10.3, 9.9]);
    expect([...lc.dy!]).toEqual([0.1, 0.2, 0.15]);
    expect(lc.band).toBeUndefined();
    expect(lc.columns).toEqual({ t: 't', y: 'y', dy: 'dy', band: undefined });
  });

  it('accepts common aliases, no dy column, tabs, and a band column', () => {
    const a = parseLightCurveCsv('time\tmag\n1\t2\n3\t4\n');
    expect(a.dy).toBeUndefined();
    expect([...a.t]).toEqual([1, 3]);
    const b = parseLightCurveCsv('time,mag,magerr,band\n51075.3,16.6,0.004,r\n51075.31,16.62,0.005,i\n');
    expect(b.band).toEqual(['r', 'i']);
    expect(b.columns.dy).toBe('magerr');
    const c = parseLightCurveCsv('BJD_TDB,flux,flux_err\n2459000.5,1.0,0.001\n');
    expect(c.t[0]).toBe(2459000.5);
  });

  it('names the line and column of a bad cell', () => {
    const e = fail('t,y,dy\n1,2,0.1\n2,abc,0.1\n');
    expect(e.code).toBe('BAD_CSV');
    expect(e.location).toMatchObject({ source: 'lc.csv', line: 3, column: 2 });
    expect(e.message).toMatch(/lc\.csv, line 3, column 2: 'abc' in column 'y' is not a finite number/);
    expect(fail('t,y,dy\n1,2,0\n').location).toMatchObject({ line: 2, column: 3 });
    expect(fail('t,y,dy\n1,2,-1\n').message).toMatch(/must be > 0/);
    expect(fail('t,y,dy\n1,2\n').message).toMatch(/line 2.*2 cells/);
    expect(fail('t,y\n1,NaN\n').location).toMatchObject({ line: 2, column: 2 });
    expect(fail('t,y\n,1\n').location).toMatchObject({ line: 2, column: 1 });
    expect(fail('a,b,c\n1,2,3\n').message).toMatch(/line 1.*time column/);
    expect(fail('t,dy\n1,2\n').message).toMatch(/value column/);
    expect(fail('# nothing\n').message).toMatch(/no header/);
    expect(fail('t,y\n').message).toMatch(/no data rows/);
    expect(fail('t,y,band\n1,2,\n').location).toMatchObject({ line: 2, column: 3 });
  });
});
