import CInotifyTools
import DaemonKit
