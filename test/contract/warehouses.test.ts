// Every warehouse runs the warehouse contract (warehouse-contract.ts says how to join).
import { warehouseContract } from './warehouse-contract.ts';
import { databaseSubject, hiveSubject } from './warehouse-subjects.ts';

warehouseContract(databaseSubject('sqlite'));
warehouseContract(databaseSubject('mysql'));
warehouseContract(databaseSubject('postgres'));
warehouseContract(hiveSubject());
